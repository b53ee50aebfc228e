/**
 * Captures commands run in the editor's terminals (through shell integration) and
 * sends failing ones to the server as `teamlore/terminalOutput`.
 *
 * A command's output can only be read from the moment `read()` is first called, so
 * reading starts when the execution starts and the result is sent when it ends. A later
 * success of a command that failed before is sent too (with its output): the server
 * clears the stale error and can propose the fix that made it pass.
 */
import { type Notify, TERMINAL_OUTPUT, type TerminalOutputParams } from "./protocol";

/** The parts of a `vscode.TerminalShellExecution` this module uses. */
export interface ShellExecution {
  readonly commandLine: { readonly value: string };
  readonly cwd: { readonly fsPath: string } | undefined;
  read(): AsyncIterable<string>;
}

/** Where the set of commands that failed is kept (e.g. the workspace's Memento). */
export interface FailedCommandStore {
  get(key: string): string[] | undefined;
  update(key: string, value: string[]): PromiseLike<void> | void;
}

export interface TerminalCaptureOptions {
  /** Output beyond this many characters is cut from the front (errors come last). */
  maxChars?: number;
  /** cwd when shell integration could not tell it. */
  fallbackCwd?: () => string | undefined;
  /** Command lines that are not sent (`teamlore run` captures its own output). */
  ignore?: RegExp[];
  /** How long to wait for the output stream to end after the command ended. */
  drainTimeoutMs?: number;
  store?: FailedCommandStore;
  onError?: (error: unknown) => void;
}

const STORE_KEY = "teamlore.failedCommands";
const DEFAULT_IGNORE = [/^\s*(\S*[\\/])?teamlore(\.exe)?\s+(--root\s+\S+\s+)?run\b/];

// CSI (colours, cursor moves), OSC (titles, shell-integration marks) and other escapes.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** Terminal output as plain text: escape sequences removed, line endings normalized. */
export function cleanTerminalOutput(raw: string): string {
  return raw
    .replace(ANSI, "")
    .replace(/\r\n/g, "\n")
    .replace(/\r/g, "\n");
}

interface Reading {
  chunks: string[];
  size: number;
  done: Promise<void>;
}

export class TerminalCapture {
  private readonly readings = new Map<ShellExecution, Reading>();
  private readonly failed: Set<string>;
  private readonly maxChars: number;
  private readonly ignore: RegExp[];

  constructor(
    private readonly notify: Notify,
    private readonly options: TerminalCaptureOptions = {},
  ) {
    this.maxChars = options.maxChars ?? 1_000_000;
    this.ignore = options.ignore ?? DEFAULT_IGNORE;
    this.failed = new Set(options.store?.get(STORE_KEY) ?? []);
  }

  /** Call from `onDidStartTerminalShellExecution`. */
  started(execution: ShellExecution): void {
    if (this.isIgnored(execution.commandLine.value)) return;
    const reading: Reading = { chunks: [], size: 0, done: Promise.resolve() };
    reading.done = (async () => {
      try {
        for await (const chunk of execution.read()) {
          reading.chunks.push(chunk);
          reading.size += chunk.length;
          // Keep memory bounded on endless output: drop from the front.
          while (reading.size > 2 * this.maxChars && reading.chunks.length > 1) {
            reading.size -= reading.chunks.shift()!.length;
          }
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    })();
    this.readings.set(execution, reading);
  }

  /**
   * Call from `onDidEndTerminalShellExecution`. Returns what was sent, or undefined when
   * nothing was (success of a command that never failed, unknown exit code, ignored).
   */
  async ended(execution: ShellExecution, exitCode: number | undefined): Promise<TerminalOutputParams | undefined> {
    const reading = this.readings.get(execution);
    this.readings.delete(execution);
    const command = execution.commandLine.value.trim();
    if (exitCode === undefined || command === "" || this.isIgnored(command)) return undefined;
    const cwd = execution.cwd?.fsPath ?? this.options.fallbackCwd?.() ?? null;
    const key = JSON.stringify([cwd, command]);
    if (exitCode === 0 && !this.failed.has(key)) return undefined;

    let output = "";
    if (reading) {
      await within(reading.done, this.options.drainTimeoutMs ?? 2000);
      output = cleanTerminalOutput(reading.chunks.join(""));
      if (output.length > this.maxChars) output = output.slice(output.length - this.maxChars);
    }
    const params: TerminalOutputParams = { command, cwd, exitCode, output };
    if (exitCode === 0) this.failed.delete(key);
    else this.failed.add(key);
    try {
      await this.options.store?.update(STORE_KEY, [...this.failed].slice(-200));
      await this.notify(TERMINAL_OUTPUT, params);
    } catch (error) {
      this.options.onError?.(error);
      return undefined;
    }
    return params;
  }

  private isIgnored(command: string): boolean {
    return this.ignore.some((re) => re.test(command));
  }
}

/** Waits for `promise`, but at most `ms` milliseconds. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([promise, timeout]);
  clearTimeout(timer);
}
