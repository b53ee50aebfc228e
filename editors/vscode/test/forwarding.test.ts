import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DiagnosticForwarder, foreignDiagnostics } from "../src/core/forwarding";
import { DID_CHANGE_DIAGNOSTICS } from "../src/core/protocol";
import { diag, FakeDiagnostics, FakeServer } from "./fakes";

const A = "file:///ws/app.py";
const B = "file:///ws/lib.py";

describe("DiagnosticForwarder", () => {
  let diagnostics: FakeDiagnostics;
  let server: FakeServer;
  let forwarder: DiagnosticForwarder;

  beforeEach(() => {
    vi.useFakeTimers();
    diagnostics = new FakeDiagnostics();
    server = new FakeServer();
    forwarder = new DiagnosticForwarder(diagnostics, server.notify, { delayMs: 300 });
  });

  afterEach(() => {
    forwarder.dispose();
    vi.useRealTimers();
  });

  async function settle(): Promise<void> {
    await vi.advanceTimersByTimeAsync(300);
    await forwarder.flush();
  }

  it("sends other tools' diagnostics with the contract's payload shape", async () => {
    const pyright = diag(3, 'Import "structlog" could not be resolved', "Pylance", { code: "reportMissingImports" });
    diagnostics.others.set(A, [pyright]);
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toEqual([{ method: DID_CHANGE_DIAGNOSTICS, params: { uri: A, diagnostics: [pyright] } }]);
  });

  it("debounces a burst of changes into one message per URI", async () => {
    diagnostics.others.set(A, [diag(1, "E1", "mypy")]);
    diagnostics.others.set(B, [diag(2, "E2", "mypy")]);
    for (let i = 0; i < 20; i++) {
      forwarder.changed([A, B]);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(server.notifications).toHaveLength(0); // still typing: nothing sent yet
    await settle();
    expect(server.notifications.map((n) => n.params.uri).sort()).toEqual([A, B]);
    expect(diagnostics.reads).toBe(2);
  });

  it("leaves out the server's own diagnostics: source teamlore and its published findings", async () => {
    const foreign = diag(5, "B105 hardcoded password", "bandit", { code: "B105" });
    const ownKnownError = diag(7, "KeyError: 'user_id' (seen before: 2 fixes)", "teamlore");
    const ownFinding = diag(9, "B602 subprocess with shell=True", "bandit", { code: "B602", data: { fingerprint: "f1" } });
    diagnostics.others.set(A, [foreign]);
    diagnostics.mine.set(A, [ownKnownError, ownFinding]);
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toHaveLength(1);
    expect(server.notifications[0].params.diagnostics).toEqual([foreign]);
  });

  it("drops diagnostics with source teamlore even when another collection holds them", () => {
    expect(foreignDiagnostics([diag(1, "x", "teamlore"), diag(1, "x", "ruff")], [])).toEqual([diag(1, "x", "ruff")]);
  });

  it("removes own diagnostics as a multiset, keeping identical foreign ones", () => {
    const d = diag(1, "same", "bandit");
    expect(foreignDiagnostics([d, d, d], [d])).toHaveLength(2);
  });

  it("does not echo: the server republishing its own diagnostics sends nothing", async () => {
    diagnostics.others.set(A, [diag(1, "NameError: name 'x' is not defined", "Pylance")]);
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toHaveLength(1);
    diagnostics.mine.set(A, [diag(1, "NameError: name 'x' is not defined (seen before: 1 fix)", "teamlore")]);
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toHaveLength(1);
  });

  it("sends an empty list once when a URI's foreign diagnostics are cleared", async () => {
    diagnostics.others.set(A, [diag(1, "E", "mypy")]);
    forwarder.changed([A]);
    await settle();
    diagnostics.others.set(A, []);
    forwarder.changed([A]);
    await settle();
    forwarder.changed([A]);
    await settle();
    expect(server.notifications.map((n) => n.params.diagnostics.length)).toEqual([1, 0]);
  });

  it("sends nothing for a URI that never had foreign diagnostics", async () => {
    diagnostics.mine.set(A, [diag(1, "mine", "teamlore")]);
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toHaveLength(0);
  });

  it("ignores documents that are not files (git:, output:, untitled:)", async () => {
    const uris = ["git:/ws/app.py?ref", "output:extension-output", "untitled:Untitled-1"];
    for (const uri of uris) diagnostics.others.set(uri, [diag(1, "E", "x")]);
    forwarder.changed(uris);
    await settle();
    expect(server.notifications).toHaveLength(0);
    expect(diagnostics.reads).toBe(0);
  });

  it("re-sends everything after reset (server restarted)", async () => {
    diagnostics.others.set(A, [diag(1, "E", "mypy")]);
    forwarder.changed([A]);
    await settle();
    forwarder.reset();
    forwarder.changed([A]);
    await settle();
    expect(server.notifications).toHaveLength(2);
  });

  it("keeps forwarding after a failed send", async () => {
    const errors: unknown[] = [];
    let fail = true;
    const f = new DiagnosticForwarder(
      diagnostics,
      (m, p) => {
        if (fail) throw new Error("connection closed");
        server.notify(m, p);
      },
      { delayMs: 10, onError: (e) => errors.push(e) },
    );
    diagnostics.others.set(A, [diag(1, "E", "mypy")]);
    f.changed([A]);
    await vi.advanceTimersByTimeAsync(10);
    await f.flush();
    fail = false;
    f.changed([A]);
    await vi.advanceTimersByTimeAsync(10);
    await f.flush();
    expect(errors).toHaveLength(1);
    expect(server.notifications).toHaveLength(1);
    f.dispose();
  });
});
