/**
 * The teamlore language server's custom surface, as plain types. Nothing in `core/`
 * imports `vscode`, so every module here runs under vitest with a fake editor.
 */

/** Source name of the diagnostics the server publishes for errors it knows. */
export const SOURCE = "teamlore";

export const DID_CHANGE_DIAGNOSTICS = "teamlore/didChangeDiagnostics";
export const TERMINAL_OUTPUT = "teamlore/terminalOutput";

/** Commands the server offers through workspace/executeCommand. */
export const ServerCommands = {
  recordFix: "teamlore.recordFix",
  showMatches: "teamlore.showMatches",
  markFalsePositive: "teamlore.markFalsePositive",
  acceptRisk: "teamlore.acceptRisk",
  debtReport: "teamlore.debtReport",
  pendingFixes: "teamlore.pendingFixes",
  acceptFix: "teamlore.acceptFix",
  dismissFix: "teamlore.dismissFix",
  status: "teamlore.status",
} as const;

export type ServerCommand = (typeof ServerCommands)[keyof typeof ServerCommands];

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** An LSP Diagnostic (only the fields teamlore reads are typed precisely). */
export interface LspDiagnostic {
  range: Range;
  message: string;
  severity?: number;
  code?: string | number;
  codeDescription?: { href: string };
  source?: string;
  tags?: number[];
  relatedInformation?: unknown[];
  data?: unknown;
}

export interface DidChangeDiagnosticsParams {
  uri: string;
  diagnostics: LspDiagnostic[];
}

export interface TerminalOutputParams {
  command: string;
  cwd: string | null;
  exitCode: number;
  output: string;
}

/** Sends one notification to the server. */
export type Notify = (method: string, params: unknown) => Promise<void> | void;

/** Sends workspace/executeCommand to the server and returns its result. */
export type ExecuteOnServer = (command: string, args: unknown[]) => Promise<unknown>;
