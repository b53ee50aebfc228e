/** Small fakes of the editor for the core modules' tests. */
import type { CursorDiagnostic, EditorContext, InputOptions, PickItem, Ui } from "../src/core/commands";
import type { DiagnosticsReader } from "../src/core/forwarding";
import type { LspDiagnostic } from "../src/core/protocol";
import type { ShellExecution } from "../src/core/terminal";

export function diag(line: number, message: string, source?: string, extra: Partial<LspDiagnostic> = {}): LspDiagnostic {
  return {
    range: { start: { line, character: 0 }, end: { line, character: 10 } },
    message,
    severity: 1,
    ...(source === undefined ? {} : { source }),
    ...extra,
  };
}

/** The editor's diagnostic collections: every tool's, and the teamlore client's own. */
export class FakeDiagnostics implements DiagnosticsReader {
  readonly others = new Map<string, LspDiagnostic[]>();
  readonly mine = new Map<string, LspDiagnostic[]>();
  reads = 0;

  async all(uri: string): Promise<LspDiagnostic[]> {
    this.reads += 1;
    return [...(this.others.get(uri) ?? []), ...(this.mine.get(uri) ?? [])].map((d) => structuredClone(d));
  }

  async own(uri: string): Promise<LspDiagnostic[]> {
    return (this.mine.get(uri) ?? []).map((d) => structuredClone(d));
  }
}

/** Records notifications and executeCommand requests sent to the server. */
export class FakeServer {
  readonly notifications: { method: string; params: any }[] = [];
  readonly executed: { command: string; args: any[] }[] = [];
  results = new Map<string, unknown>();

  notify = (method: string, params: unknown): void => {
    this.notifications.push({ method, params: structuredClone(params) });
  };

  exec = async (command: string, args: unknown[]): Promise<unknown> => {
    this.executed.push({ command, args: structuredClone(args) });
    const result = this.results.get(command);
    if (result instanceof Error) throw result;
    return result ?? null;
  };
}

/** A terminal command whose output arrives in chunks, like shell integration's read(). */
export class FakeExecution implements ShellExecution {
  readonly commandLine: { value: string };
  readonly cwd: { fsPath: string } | undefined;
  private readonly chunks: string[] = [];
  private waiting: (() => void) | undefined;
  private finished = false;
  reads = 0;

  constructor(command: string, cwd?: string) {
    this.commandLine = { value: command };
    this.cwd = cwd === undefined ? undefined : { fsPath: cwd };
  }

  write(chunk: string): void {
    this.chunks.push(chunk);
    this.waiting?.();
  }

  end(): void {
    this.finished = true;
    this.waiting?.();
  }

  read(): AsyncIterable<string> {
    this.reads += 1;
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (self.chunks.length > 0) yield self.chunks.shift()!;
          if (self.finished) return;
          await new Promise<void>((resolve) => {
            self.waiting = resolve;
          });
        }
      },
    };
  }
}

/** Scripted answers for input boxes and quick picks; records what was asked and shown. */
export class FakeUi implements Ui {
  readonly inputs: InputOptions[] = [];
  readonly picks: { title: string; labels: string[] }[] = [];
  readonly shown: { title: string; markdown: string }[] = [];
  readonly infos: string[] = [];
  readonly errors: string[] = [];
  inputAnswers: (string | undefined)[] = [];
  /** Answers for quick picks: the index of the item to choose, or undefined (Escape). */
  pickAnswers: (number | undefined)[] = [];

  async input(options: InputOptions): Promise<string | undefined> {
    this.inputs.push(options);
    return this.inputAnswers.shift();
  }

  async pick<T>(items: PickItem<T>[], options: { title: string }): Promise<T | undefined> {
    this.picks.push({ title: options.title, labels: items.map((i) => i.label) });
    const index = this.pickAnswers.shift();
    return index === undefined ? undefined : items[index].value;
  }

  async showMarkdown(title: string, markdown: string): Promise<void> {
    this.shown.push({ title, markdown });
  }

  info(message: string): void {
    this.infos.push(message);
  }

  error(message: string): void {
    this.errors.push(message);
  }
}

export class FakeEditor implements EditorContext {
  atCursor: CursorDiagnostic[] = [];

  async diagnosticsAtCursor(): Promise<CursorDiagnostic[]> {
    return this.atCursor;
  }
}
