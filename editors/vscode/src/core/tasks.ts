/**
 * Tasks of type `teamlore`: `{ "type": "teamlore", "command": ["pytest", "-x"] }` runs
 * `teamlore run --notify -- pytest -x`, so a failure is remembered, shown as a problem
 * (the `$teamlore` problem matcher reads the `teamlore: captured ...` lines) and
 * answered with past fixes on hover.
 */

export const TASK_TYPE = "teamlore";
export const PROBLEM_MATCHER = "$teamlore";

export interface TeamloreTaskDefinition {
  type: string;
  command: string[];
  cwd?: string;
}

/** The definition when it is a usable one (a non-empty list of strings as the command). */
export function parseTaskDefinition(value: unknown): TeamloreTaskDefinition | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.type !== TASK_TYPE || !Array.isArray(v.command) || v.command.length === 0) return undefined;
  if (!v.command.every((part) => typeof part === "string" && part !== "")) return undefined;
  const out: TeamloreTaskDefinition = { type: TASK_TYPE, command: [...(v.command as string[])] };
  if (typeof v.cwd === "string" && v.cwd !== "") out.cwd = v.cwd;
  return out;
}

/** The process the task runs: the server's own program, with `run --notify --` and the command. */
export function taskProcess(
  launch: { command: string; args: string[] },
  definition: TeamloreTaskDefinition,
): { command: string; args: string[] } {
  const prefix = launch.args.filter((a) => a !== "lsp");
  return { command: launch.command, args: [...prefix, "run", "--notify", "--", ...definition.command] };
}

/** The task's name in the task list. */
export function taskLabel(definition: TeamloreTaskDefinition): string {
  return `teamlore run ${definition.command.join(" ")}`;
}
