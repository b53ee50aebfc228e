/**
 * Forwards other tools' diagnostics to the server (`teamlore/didChangeDiagnostics`).
 *
 * The language server protocol gives a server no view of other servers' diagnostics, so
 * the client sends them. Three things keep this cheap and loop-free:
 * - changes are debounced and coalesced per URI;
 * - the server's own diagnostics (source `teamlore`, and everything this client's
 *   collection holds, e.g. security findings published with source `bandit`) are removed;
 * - a URI is only re-sent when its foreign diagnostics actually changed, so the server
 *   republishing its own diagnostics does not echo back.
 */
import { DID_CHANGE_DIAGNOSTICS, type LspDiagnostic, type Notify, SOURCE } from "./protocol";

export interface DiagnosticsReader {
  /** Every diagnostic the editor holds for `uri`, converted to LSP shape. */
  all(uri: string): Promise<LspDiagnostic[]>;
  /** The diagnostics this extension's own language client published for `uri`. */
  own(uri: string): Promise<LspDiagnostic[]>;
}

export interface ForwarderOptions {
  /** Debounce delay in milliseconds. */
  delayMs?: number;
  /** URI schemes worth forwarding (documents on disk by default). */
  schemes?: string[];
  /** Called with errors from reading or sending; forwarding goes on. */
  onError?: (error: unknown) => void;
}

/** A stable identity for a diagnostic: what it says and where. */
export function diagnosticKey(d: LspDiagnostic): string {
  const r = d.range;
  return JSON.stringify([
    r.start.line,
    r.start.character,
    r.end.line,
    r.end.character,
    d.severity ?? null,
    d.source ?? null,
    d.code ?? null,
    d.message,
  ]);
}

/**
 * `all` minus the server's own diagnostics. `own` is removed as a multiset: two identical
 * foreign diagnostics stay two even when the server published one like them.
 */
export function foreignDiagnostics(all: LspDiagnostic[], own: LspDiagnostic[]): LspDiagnostic[] {
  const ownCounts = new Map<string, number>();
  for (const d of own) {
    const k = diagnosticKey(d);
    ownCounts.set(k, (ownCounts.get(k) ?? 0) + 1);
  }
  const result: LspDiagnostic[] = [];
  for (const d of all) {
    if (d.source === SOURCE) continue;
    const k = diagnosticKey(d);
    const n = ownCounts.get(k) ?? 0;
    if (n > 0) {
      ownCounts.set(k, n - 1);
      continue;
    }
    result.push(d);
  }
  return result;
}

export class DiagnosticForwarder {
  private readonly pending = new Set<string>();
  /** What was last sent per URI (keys joined), so unchanged URIs are not re-sent. */
  private readonly lastSent = new Map<string, string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly delayMs: number;
  private readonly schemes: string[];
  private disposed = false;

  constructor(
    private readonly reader: DiagnosticsReader,
    private readonly notify: Notify,
    private readonly options: ForwarderOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 300;
    this.schemes = options.schemes ?? ["file"];
  }

  /** Note that the diagnostics of these URIs changed; they are sent after the delay. */
  changed(uris: Iterable<string>): void {
    if (this.disposed) return;
    for (const uri of uris) {
      const scheme = uri.slice(0, uri.indexOf(":"));
      if (this.schemes.includes(scheme)) this.pending.add(uri);
    }
    if (this.pending.size === 0) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delayMs);
  }

  /** Sends what is pending now. Flushes never overlap. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.sendPending());
    return this.flushing;
  }

  /** Forget what was sent (the server restarted): the next change re-sends everything. */
  reset(): void {
    this.lastSent.clear();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.pending.clear();
  }

  private async sendPending(): Promise<void> {
    const uris = [...this.pending];
    this.pending.clear();
    for (const uri of uris) {
      if (this.disposed) return;
      try {
        const [all, own] = await Promise.all([this.reader.all(uri), this.reader.own(uri)]);
        const diagnostics = foreignDiagnostics(all, own);
        const signature = diagnostics.map(diagnosticKey).join("\n");
        const previous = this.lastSent.get(uri);
        // Never-sent URIs with nothing foreign need no message; cleared ones do.
        if (previous === signature || (previous === undefined && diagnostics.length === 0)) continue;
        await this.notify(DID_CHANGE_DIAGNOSTICS, { uri, diagnostics });
        if (diagnostics.length === 0) this.lastSent.set(uri, "");
        else this.lastSent.set(uri, signature);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}
