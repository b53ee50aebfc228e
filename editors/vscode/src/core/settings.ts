/**
 * The extension's settings, written down once. `package.json`'s
 * `contributes.configuration` must list exactly these (a unit test checks it).
 */

export interface TeamloreSettings {
  serverPath: string;
  storeRoot: string;
  matchThreshold: number | null;
  scannersOnSave: string[];
  debtHints: boolean;
  redisUrl: string;
  showSuppressed: boolean;
  logLevel: "error" | "warning" | "info" | "debug";
  trace: "off" | "messages" | "verbose";
}

/** Setting name (after `teamlore.`) -> default. */
export const SETTING_DEFAULTS: Readonly<Record<string, unknown>> = {
  serverPath: "",
  storeRoot: "",
  matchThreshold: null,
  scannersOnSave: ["bandit"],
  debtHints: false,
  redisUrl: "",
  showSuppressed: false,
  logLevel: "info",
  "trace.server": "off",
};

/** Settings that only the client uses; the others go to the server. */
const CLIENT_ONLY = new Set(["serverPath", "trace.server"]);

/** Reads and validates settings; a bad value falls back to its default and is reported. */
export function readSettings(
  get: (name: string) => unknown,
  warn: (message: string) => void = () => {},
): TeamloreSettings {
  const bad = (name: string, value: unknown, expected: string): void =>
    warn(`teamlore.${name}: ${JSON.stringify(value)} is not ${expected}; using the default.`);

  const str = (name: string): string => {
    const v = get(name) ?? SETTING_DEFAULTS[name];
    if (typeof v === "string") return v;
    bad(name, v, "a string");
    return SETTING_DEFAULTS[name] as string;
  };
  const bool = (name: string): boolean => {
    const v = get(name) ?? SETTING_DEFAULTS[name];
    if (typeof v === "boolean") return v;
    bad(name, v, "true or false");
    return SETTING_DEFAULTS[name] as boolean;
  };

  let matchThreshold = get("matchThreshold") ?? null;
  if (matchThreshold !== null && !(typeof matchThreshold === "number" && matchThreshold >= 0 && matchThreshold <= 1)) {
    bad("matchThreshold", matchThreshold, "a number between 0 and 1");
    matchThreshold = null;
  }
  let scanners = get("scannersOnSave") ?? SETTING_DEFAULTS.scannersOnSave;
  if (!Array.isArray(scanners) || !scanners.every((s) => typeof s === "string")) {
    bad("scannersOnSave", scanners, "a list of scanner names");
    scanners = SETTING_DEFAULTS.scannersOnSave;
  }
  let logLevel = get("logLevel") ?? "info";
  if (!["error", "warning", "info", "debug"].includes(logLevel as string)) {
    bad("logLevel", logLevel, '"error", "warning", "info" or "debug"');
    logLevel = "info";
  }
  let trace = get("trace.server") ?? "off";
  if (trace !== "off" && trace !== "messages" && trace !== "verbose") {
    bad("trace.server", trace, '"off", "messages" or "verbose"');
    trace = "off";
  }
  return {
    serverPath: str("serverPath"),
    storeRoot: str("storeRoot"),
    matchThreshold: matchThreshold as number | null,
    scannersOnSave: [...(scanners as string[])],
    debtHints: bool("debtHints"),
    redisUrl: str("redisUrl"),
    showSuppressed: bool("showSuppressed"),
    logLevel: logLevel as TeamloreSettings["logLevel"],
    trace: trace as TeamloreSettings["trace"],
  };
}

/**
 * What the server receives (initializationOptions, and `settings` of
 * workspace/didChangeConfiguration): server settings only, unset values left out so
 * the server's own defaults apply.
 */
export function serverSettings(s: TeamloreSettings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(s)) {
    if (CLIENT_ONLY.has(key) || key === "trace") continue;
    if (value === null || value === "") continue;
    out[key] = value;
  }
  return out;
}

/** Whether changing these settings needs the server restarted rather than notified. */
export function needsRestart(before: TeamloreSettings, after: TeamloreSettings): boolean {
  return before.serverPath !== after.serverPath;
}

/**
 * The `teamlore` section as VS Code answers `workspace/configuration`, minus what only
 * the client uses (serverPath, trace) and unset values, so the server sees no unknown keys.
 */
export function serverSection(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === "serverPath" || key === "trace" || v === null || v === "") continue;
    out[key] = v;
  }
  return out;
}
