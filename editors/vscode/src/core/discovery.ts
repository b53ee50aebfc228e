/**
 * Finds the `teamlore` executable, in this order:
 * 1. the `teamlore.serverPath` setting (`~` and `${workspaceFolder}` expanded);
 * 2. next to the selected Python interpreter (its venv's `bin/` or `Scripts\`);
 * 3. the PATH (absolute entries only: a relative one would name a folder of whatever
 *    directory the program starts in, usually the repository).
 */
import * as path from "node:path";

export type ServerOrigin = "setting" | "interpreter" | "PATH";

export interface ServerLaunch {
  command: string;
  args: string[];
  origin: ServerOrigin;
}

export interface DiscoveryInputs {
  serverPath?: string;
  workspaceFolder?: string;
  /** The selected Python interpreter (an executable, or an environment folder). */
  interpreter?: string;
  pathEnv?: string;
  platform: NodeJS.Platform;
  home?: string;
}

export interface FileProbe {
  isExecutable(file: string): Promise<boolean>;
  /** Why `file` must not be started (an untrusted workspace's own program), else undefined. */
  refuse?(file: string): Promise<string | undefined>;
}

export interface DiscoveryResult {
  launch?: ServerLaunch;
  /** Every path that was looked at, in order (shown when nothing was found). */
  tried: string[];
  /** Set when the serverPath setting points at nothing runnable, or a program was refused. */
  error?: string;
  /** Set when a program was found but refused (see FileProbe.refuse). */
  refused?: boolean;
}

const LSP_ARGS = ["lsp"];

export async function discoverServer(inputs: DiscoveryInputs, probe: FileProbe): Promise<DiscoveryResult> {
  const p = inputs.platform === "win32" ? path.win32 : path.posix;
  const tried: string[] = [];
  let refusal: string | undefined;
  const check = async (file: string): Promise<boolean> => {
    tried.push(file);
    if (!(await probe.isExecutable(file))) return false;
    const reason = await probe.refuse?.(file);
    refusal ??= reason;
    return reason === undefined;
  };
  const refused = (): DiscoveryResult => ({ tried, error: refusal, refused: true });

  const names = inputs.platform === "win32" ? ["teamlore.exe", "teamlore.cmd", "teamlore"] : ["teamlore"];
  const setting = inputs.serverPath?.trim();
  if (setting && !/[\\/~$]/.test(setting)) {
    // A bare command name: look it up on the PATH.
    const launch = await searchPath(inputs, p, [setting], check);
    if (launch) return { launch: { ...launch, origin: "setting" }, tried };
    if (refusal) return refused();
    return { tried, error: `teamlore.serverPath is set to "${setting}", which is not on the PATH.` };
  }
  if (setting) {
    const file = expandSetting(setting, inputs, p);
    if (await check(file)) return { launch: { command: file, args: LSP_ARGS, origin: "setting" }, tried };
    if (refusal) return refused();
    return { tried, error: `teamlore.serverPath is set to "${setting}", but ${file} is not an executable file.` };
  }

  if (inputs.interpreter) {
    const interp = inputs.interpreter;
    const dirs = [p.dirname(interp)];
    // An environment folder (conda, venv root) instead of an executable.
    dirs.push(inputs.platform === "win32" ? p.join(interp, "Scripts") : p.join(interp, "bin"));
    if (inputs.platform === "win32") dirs.push(p.join(p.dirname(interp), "Scripts"));
    for (const dir of dirs) {
      for (const name of names) {
        const file = p.join(dir, name);
        if (await check(file)) return { launch: { command: file, args: LSP_ARGS, origin: "interpreter" }, tried };
      }
    }
  }

  const launch = await searchPath(inputs, p, names, check);
  if (launch) return { launch, tried };
  return refusal ? refused() : { tried };
}

async function searchPath(
  inputs: DiscoveryInputs,
  p: typeof path.posix,
  names: string[],
  check: (file: string) => Promise<boolean>,
): Promise<ServerLaunch | undefined> {
  const sep = inputs.platform === "win32" ? ";" : ":";
  for (const dir of (inputs.pathEnv ?? "").split(sep)) {
    if (!dir || !p.isAbsolute(dir)) continue;
    for (const name of names) {
      const file = p.join(dir, name);
      if (await check(file)) return { command: file, args: LSP_ARGS, origin: "PATH" };
    }
  }
  return undefined;
}

function expandSetting(value: string, inputs: DiscoveryInputs, p: typeof path.posix): string {
  let file = value;
  if (inputs.workspaceFolder) file = file.replace(/\$\{workspaceFolder\}/g, inputs.workspaceFolder);
  if (inputs.home && (file === "~" || file.startsWith("~/") || file.startsWith("~\\"))) {
    file = p.join(inputs.home, file.slice(1));
  }
  if (!p.isAbsolute(file) && inputs.workspaceFolder) file = p.join(inputs.workspaceFolder, file);
  return file;
}
