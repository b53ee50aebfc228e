/**
 * What the extension does in a workspace VS Code does not trust (Restricted Mode).
 *
 * The repository is someone else's input: its `.vscode/settings.json`, its `.venv/`, its
 * `.teamlore/config.toml`. In Restricted Mode the extension still shows the team's
 * memory, but it tells the server so (`restrictedMode: true` in initializationOptions),
 * sends no sync URL and no scanners, and starts no program that lies inside the
 * workspace. When the user grants trust, the server is restarted without the restriction.
 */
import * as path from "node:path";
import type { TeamloreSettings } from "./settings";

/** Settings a workspace's `.vscode/settings.json` must not set in Restricted Mode. */
export const RESTRICTED_SETTINGS: readonly (keyof TeamloreSettings)[] = ["serverPath", "redisUrl", "scannersOnSave", "storeRoot"];

/** Settings naming a program to run: user (machine) settings only, never the workspace's. */
export const PROGRAM_SETTINGS: readonly (keyof TeamloreSettings)[] = ["serverPath"];

/**
 * The server settings as sent in Restricted Mode, or unchanged in a trusted workspace:
 * no team sync and no scanners on save, whoever configured them.
 */
export function restrictSettings<T extends Record<string, unknown>>(settings: T, trusted: boolean): T {
  if (trusted) return settings;
  const out: Record<string, unknown> = { ...settings, scannersOnSave: [] };
  delete out.redisUrl;
  return out as T;
}

/** initializationOptions for `teamlore lsp`: the server settings plus `restrictedMode`. */
export function initializationOptions(serverSettings: Record<string, unknown>, trusted: boolean): Record<string, unknown> {
  return { ...restrictSettings(serverSettings, trusted), restrictedMode: !trusted };
}

export interface LaunchCheck {
  allowed: boolean;
  /** Why a program was refused (shown to the user). */
  reason?: string;
}

/**
 * Whether the extension may start `command` (the server, or the CLI): in Restricted Mode
 * never a program inside the workspace folder (a committed `.venv/bin/teamlore`, a script
 * named by `${workspaceFolder}/...`), compared both as written and with links resolved.
 */
export async function checkLaunch(
  command: string,
  workspaceFolder: string | undefined,
  trusted: boolean,
  realpath: (file: string) => Promise<string> = async (file) => file,
  platform: NodeJS.Platform = process.platform,
): Promise<LaunchCheck> {
  if (trusted || !workspaceFolder) return { allowed: true };
  const p = platform === "win32" ? path.win32 : path.posix;
  const resolved = async (file: string): Promise<string> => {
    try {
      return await realpath(file);
    } catch {
      return file;
    }
  };
  const pairs: [string, string][] = [
    [command, workspaceFolder],
    [await resolved(command), await resolved(workspaceFolder)],
  ];
  for (const [file, folder] of pairs) {
    const rel = p.relative(p.resolve(folder), p.resolve(folder, file));
    const inside = rel === "" || (!rel.startsWith("..") && !p.isAbsolute(rel));
    if (inside) {
      return {
        allowed: false,
        reason:
          `teamlore: this workspace is not trusted, so ${command} (inside the workspace) was not started. ` +
          "Trust the workspace, or install teamlore outside it (pip install teamlore) or set teamlore.serverPath " +
          "in your user settings.",
      };
    }
  }
  return { allowed: true };
}

/**
 * Follows the workspace's trust: restricted until the user grants trust, then the server
 * is restarted once (VS Code never takes trust back without reloading the window).
 */
export class WorkspaceTrust {
  constructor(
    private trustedNow: boolean,
    private readonly restart: () => Promise<void>,
  ) {}

  get trusted(): boolean {
    return this.trustedNow;
  }

  /** `workspace.onDidGrantWorkspaceTrust`: restart the server without the restriction. */
  async granted(): Promise<void> {
    if (this.trustedNow) return;
    this.trustedNow = true;
    await this.restart();
  }
}

/** The user-level value of a setting (never the workspace's or folder's). */
export function userValue<T>(inspected: { globalValue?: T; defaultValue?: T } | undefined): T | undefined {
  return inspected?.globalValue ?? inspected?.defaultValue;
}

