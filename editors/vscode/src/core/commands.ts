/**
 * Runs the server's commands for the editor: completes arguments the server left to the
 * client (the fix text, a triage reason, which finding or proposal), executes the
 * command on the server and shows its result.
 *
 * The same path serves code actions (through the language client's `executeCommand`
 * middleware, with the server's arguments) and the command palette (no arguments: the
 * error or finding under the cursor is used).
 */
import { type ExecuteOnServer, type LspDiagnostic, SOURCE, ServerCommands } from "./protocol";

export interface PickItem<T> {
  label: string;
  description?: string;
  detail?: string;
  value: T;
}

export interface InputOptions {
  title: string;
  prompt: string;
  placeHolder?: string;
  value?: string;
}

/** The few UI calls commands need (`window.showInputBox`, `showQuickPick`, ...). */
export interface Ui {
  input(options: InputOptions): Promise<string | undefined>;
  pick<T>(items: PickItem<T>[], options: { title: string; placeHolder?: string }): Promise<T | undefined>;
  showMarkdown(title: string, markdown: string): Promise<void>;
  info(message: string): void;
  error(message: string): void;
}

export interface CursorDiagnostic {
  uri: string;
  diagnostic: LspDiagnostic;
  /** Published by this extension's own server (not forwarded from another tool). */
  own: boolean;
}

export interface EditorContext {
  /** Diagnostics that cover the cursor in the active editor, in LSP shape. */
  diagnosticsAtCursor(): Promise<CursorDiagnostic[]>;
}

type Args = Record<string, unknown>;

function isObject(v: unknown): v is Args {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function filled(v: unknown): v is string {
  return typeof v === "string" && v.trim() !== "";
}

/** Renders a command result as markdown (strings as they are; known shapes as lists). */
export function resultMarkdown(result: unknown): string {
  if (typeof result === "string") return result;
  if (isObject(result)) {
    for (const key of ["markdown", "contents", "value"]) {
      if (typeof result[key] === "string") return result[key] as string;
    }
    if (Array.isArray(result.matches)) {
      if (result.matches.length === 0) return "No past fix recorded for this error.";
      return result.matches
        .map((m, i) => {
          const o = isObject(m) ? m : {};
          // CLI shape {fix, root_cause, score} or matcher shape {record: {...}, score}
          const r = isObject(o.record) ? o.record : o;
          const score = typeof o.score === "number" ? ` (score ${o.score.toFixed(2)})` : "";
          const cause = filled(r.root_cause) ? `\n   root cause: ${r.root_cause}` : "";
          return `${i + 1}. **${String(r.fix ?? "")}**${score}${cause}`;
        })
        .join("\n");
    }
  }
  return "```json\n" + JSON.stringify(result, null, 2) + "\n```";
}

interface Proposal {
  id: string;
  error?: string;
  summary?: string;
  minutes?: number;
}

function proposals(result: unknown): Proposal[] {
  const list = isObject(result) ? result.proposals : result;
  if (!Array.isArray(list)) return [];
  return list.filter((p): p is Proposal => isObject(p) && typeof p.id === "string");
}

export class CommandRunner {
  constructor(
    private readonly ui: Ui,
    private readonly editor: EditorContext,
    private readonly exec: ExecuteOnServer,
  ) {}

  /** Completes the arguments, executes `command` and shows the result. Undefined when cancelled. */
  async run(command: string, args: unknown[] = []): Promise<unknown> {
    try {
      switch (command) {
        case ServerCommands.recordFix:
          return await this.recordFix(args);
        case ServerCommands.showMatches:
          return await this.showMatches(args);
        case ServerCommands.markFalsePositive:
        case ServerCommands.acceptRisk:
          return await this.triage(command, args);
        case ServerCommands.debtReport:
          return await this.showing(command, args, "teamlore: debt report");
        case ServerCommands.pendingFixes:
          return await this.pendingFixes();
        case ServerCommands.acceptFix:
        case ServerCommands.dismissFix:
          return await this.decideProposal(command, args);
        default:
          return await this.exec(command, args);
      }
    } catch (error) {
      this.ui.error(`teamlore: ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private async recordFix(args: unknown[]): Promise<unknown> {
    const arg = await this.withError(args, "Record a fix");
    if (!arg) return undefined;
    if (!filled(arg.fix)) {
      const fix = await this.ui.input({
        title: "teamlore: record fix",
        prompt: `How was this fixed? ${String(arg.error).split("\n").pop()}`,
        placeHolder: "e.g. added structlog to requirements.txt",
      });
      if (!filled(fix)) return undefined;
      arg.fix = fix.trim();
    }
    const result = await this.exec(ServerCommands.recordFix, [arg, ...args.slice(1)]);
    const id = isObject(result) && typeof result.id === "string" ? ` (${result.id})` : "";
    this.ui.info(`teamlore: fix recorded${id}.`);
    return result;
  }

  private async showMatches(args: unknown[]): Promise<unknown> {
    const arg = await this.withError(args, "Show past fixes");
    if (!arg) return undefined;
    const result = await this.exec(ServerCommands.showMatches, [arg, ...args.slice(1)]);
    await this.ui.showMarkdown("teamlore: past fixes", resultMarkdown(result));
    return result;
  }

  private async triage(command: string, args: unknown[]): Promise<unknown> {
    const falsePositive = command === ServerCommands.markFalsePositive;
    let arg: Args | undefined = isObject(args[0]) ? { ...args[0] } : undefined;
    if (!arg) {
      const findings = (await this.editor.diagnosticsAtCursor()).filter(
        (c) => c.own && c.diagnostic.source !== SOURCE && isObject(c.diagnostic.data),
      );
      const chosen = await this.choose(findings, falsePositive ? "Mark as false positive" : "Accept risk");
      if (!chosen) {
        if (findings.length === 0) this.ui.info("teamlore: no security finding at the cursor.");
        return undefined;
      }
      // The shape the server's own code actions use: the finding's data and its document.
      arg = { findings: [chosen.diagnostic.data], uri: chosen.uri };
    }
    if (!filled(arg.reason)) {
      const reason = await this.ui.input({
        title: falsePositive ? "teamlore: mark as false positive" : "teamlore: accept risk",
        prompt: falsePositive ? "Why is this finding a false positive?" : "Why is this risk acceptable?",
        placeHolder: falsePositive ? "e.g. test fixture; input is a constant" : "e.g. internal tool, no untrusted input",
      });
      if (!filled(reason)) return undefined;
      arg.reason = reason.trim();
    }
    const result = await this.exec(command, [arg, ...args.slice(1)]);
    this.ui.info(falsePositive ? "teamlore: marked as false positive." : "teamlore: risk accepted.");
    return result;
  }

  private async showing(command: string, args: unknown[], title: string): Promise<unknown> {
    const result = await this.exec(command, args);
    await this.ui.showMarkdown(title, resultMarkdown(result));
    return result;
  }

  private async pendingFixes(): Promise<unknown> {
    const result = await this.exec(ServerCommands.pendingFixes, []);
    const chosen = await this.pickProposal(result);
    if (!chosen) return result;
    const action = await this.ui.pick(
      [
        { label: "Accept", description: "store it as a remembered fix", value: ServerCommands.acceptFix },
        { label: "Dismiss", description: "forget it", value: ServerCommands.dismissFix },
      ],
      { title: `teamlore: ${chosen.summary ?? chosen.id}` },
    );
    if (!action) return result;
    return this.decideProposal(action, [{ id: chosen.id, summary: chosen.summary }]);
  }

  private async decideProposal(command: string, args: unknown[]): Promise<unknown> {
    let arg: Args | undefined = isObject(args[0]) ? { ...args[0] } : filled(args[0]) ? { id: args[0] } : undefined;
    if (!arg || !filled(arg.id)) {
      const chosen = await this.pickProposal(await this.exec(ServerCommands.pendingFixes, []));
      if (!chosen) return undefined;
      arg = { id: chosen.id, summary: chosen.summary };
    }
    const payload: Args = { id: arg.id };
    if (command === ServerCommands.acceptFix) {
      if (filled(arg.fix)) payload.fix = arg.fix;
      else {
        const fix = await this.ui.input({
          title: "teamlore: accept proposed fix",
          prompt: "Fix summary to remember (edit if needed)",
          value: typeof arg.summary === "string" ? arg.summary : "",
        });
        if (!filled(fix)) return undefined;
        payload.fix = fix.trim();
      }
    }
    const result = await this.exec(command, [payload]);
    this.ui.info(command === ServerCommands.acceptFix ? "teamlore: fix remembered." : "teamlore: proposal dismissed.");
    return result;
  }

  private async pickProposal(result: unknown): Promise<Proposal | undefined> {
    const list = proposals(result);
    if (list.length === 0) {
      this.ui.info("teamlore: no proposed fixes waiting.");
      return undefined;
    }
    return this.ui.pick(
      list.map((p) => ({
        label: p.summary ?? p.id,
        description: typeof p.minutes === "number" ? `${Math.round(p.minutes)} min` : undefined,
        detail: p.error,
        value: p,
      })),
      { title: "teamlore: proposed fixes" },
    );
  }

  /** The first argument with its `error` filled in: from the cursor, else typed in. */
  private async withError(args: unknown[], title: string): Promise<Args | undefined> {
    const arg: Args = isObject(args[0]) ? { ...args[0] } : {};
    if (filled(arg.error)) return arg;
    const chosen = await this.choose(errorCandidates(await this.editor.diagnosticsAtCursor()), title);
    if (chosen) {
      arg.error = errorText(chosen.diagnostic);
      arg.uri ??= chosen.uri;
      arg.range ??= chosen.diagnostic.range;
      return arg;
    }
    const typed = await this.ui.input({
      title: `teamlore: ${title.toLowerCase()}`,
      prompt: "The error (its last line is enough, a whole traceback is better)",
      placeHolder: "ModuleNotFoundError: No module named 'structlog'",
    });
    if (!filled(typed)) return undefined;
    arg.error = typed;
    return arg;
  }

  /** One of the diagnostics: the only one, or the one the user picks. */
  private async choose(candidates: CursorDiagnostic[], title: string): Promise<CursorDiagnostic | undefined> {
    if (candidates.length <= 1) return candidates[0];
    const sorted = [...candidates].sort((a, b) => (a.diagnostic.severity ?? 9) - (b.diagnostic.severity ?? 9));
    return this.ui.pick(
      sorted.map((c) => ({
        label: c.diagnostic.message.split("\n")[0],
        description: [c.diagnostic.source, c.diagnostic.code].filter((x) => x !== undefined).join(" "),
        value: c,
      })),
      { title: `teamlore: ${title.toLowerCase()}`, placeHolder: "Which diagnostic?" },
    );
  }
}

function teamloreData(d: LspDiagnostic): Args | undefined {
  return isObject(d.data) && typeof d.data.teamlore === "string" ? d.data : undefined;
}

/** The error a diagnostic stands for: teamlore keeps the full text in its data. */
export function errorText(d: LspDiagnostic): string {
  const data = teamloreData(d);
  return data && filled(data.error) ? data.error : d.message;
}

/**
 * Diagnostics that can be looked up as errors, one per error text: teamlore's "seen
 * before" diagnostic repeats the error of the diagnostic it annotates (it is preferred,
 * since it carries the full text); security findings are left out.
 */
export function errorCandidates(items: CursorDiagnostic[]): CursorDiagnostic[] {
  const ordered = [...items].sort((a, b) => Number(!teamloreData(a.diagnostic)) - Number(!teamloreData(b.diagnostic)));
  const seen = new Set<string>();
  const out: CursorDiagnostic[] = [];
  for (const c of ordered) {
    if (teamloreData(c.diagnostic)?.teamlore === "finding") continue;
    const text = errorText(c.diagnostic);
    if (seen.has(text)) continue;
    seen.add(text);
    out.push(c);
  }
  return out;
}

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
  return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

/**
 * The diagnostics that cover `pos` (ranges are inclusive at both ends, so an empty range
 * at the cursor counts); when none does, those on the cursor's line.
 */
export function diagnosticsAt<T extends { diagnostic: LspDiagnostic }>(
  items: T[],
  pos: { line: number; character: number },
): T[] {
  const covering = items.filter((c) => before(c.diagnostic.range.start, pos) && before(pos, c.diagnostic.range.end));
  if (covering.length > 0) return covering;
  return items.filter((c) => c.diagnostic.range.start.line <= pos.line && pos.line <= c.diagnostic.range.end.line);
}
