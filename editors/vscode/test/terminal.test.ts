import { describe, expect, it } from "vitest";
import { TERMINAL_OUTPUT } from "../src/core/protocol";
import { cleanTerminalOutput, TerminalCapture } from "../src/core/terminal";
import { FakeExecution, FakeServer } from "./fakes";

const TRACEBACK = [
  "Traceback (most recent call last):\r\n",
  '  File "/ws/app.py", line 3, in <module>\r\n',
  "    import structlog\r\n",
  "ModuleNotFoundError: No module named 'structlog'\r\n",
];

async function run(
  capture: TerminalCapture,
  command: string,
  chunks: string[],
  exitCode: number | undefined,
  cwd = "/ws",
) {
  const execution = new FakeExecution(command, cwd);
  capture.started(execution);
  for (const c of chunks) execution.write(c);
  execution.end();
  return capture.ended(execution, exitCode);
}

class MemoryStore {
  data = new Map<string, string[]>();
  get(key: string) {
    return this.data.get(key);
  }
  update(key: string, value: string[]) {
    this.data.set(key, value);
  }
}

describe("TerminalCapture", () => {
  it("sends a failing command with its output, cwd and exit code", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    await run(capture, "python app.py", ["\x1b]633;C\x07", ...TRACEBACK], 1);
    expect(server.notifications).toEqual([
      {
        method: TERMINAL_OUTPUT,
        params: {
          command: "python app.py",
          cwd: "/ws",
          exitCode: 1,
          output:
            "Traceback (most recent call last):\n" +
            '  File "/ws/app.py", line 3, in <module>\n' +
            "    import structlog\n" +
            "ModuleNotFoundError: No module named 'structlog'\n",
        },
      },
    ]);
  });

  it("starts reading when the command starts, so early output is kept", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    const execution = new FakeExecution("pytest -x");
    capture.started(execution);
    execution.write("E   KeyError: 'user_id'\n");
    await new Promise((r) => setTimeout(r, 5));
    execution.write("FAILED tests/test_api.py::test_get - KeyError: 'user_id'\n");
    execution.end();
    await capture.ended(execution, 1);
    expect(execution.reads).toBe(1);
    expect(server.notifications[0].params.output).toContain("E   KeyError: 'user_id'");
    expect(server.notifications[0].params.output).toContain("FAILED tests/test_api.py::test_get");
  });

  it("does not send successful commands that never failed", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    expect(await run(capture, "ls -la", ["total 0\n"], 0)).toBeUndefined();
    expect(server.notifications).toHaveLength(0);
  });

  it("sends the success of a command that failed before (clears the stale error)", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    await run(capture, "python app.py", TRACEBACK, 1);
    await run(capture, "python app.py", ["ok\n"], 0);
    await run(capture, "python app.py", ["ok\n"], 0); // already cleared: not sent again
    expect(server.notifications.map((n) => n.params.exitCode)).toEqual([1, 0]);
    expect(server.notifications[1].params.output).toBe("ok\n");
  });

  it("remembers failed commands across restarts through the store", async () => {
    const store = new MemoryStore();
    const first = new FakeServer();
    await run(new TerminalCapture(first.notify, { store }), "make test", ["boom\n"], 2);
    const second = new FakeServer();
    await run(new TerminalCapture(second.notify, { store }), "make test", ["ok\n"], 0);
    expect(second.notifications).toHaveLength(1);
    expect(second.notifications[0].params.exitCode).toBe(0);
  });

  it("skips commands whose exit code shell integration could not tell", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    await run(capture, "python app.py", TRACEBACK, undefined);
    expect(server.notifications).toHaveLength(0);
  });

  it("skips `teamlore run`, which captures its own output", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify);
    await run(capture, "teamlore run -- pytest", TRACEBACK, 1);
    await run(capture, ".venv/bin/teamlore --root . run -- pytest", TRACEBACK, 1);
    expect(server.notifications).toHaveLength(0);
  });

  it("uses the fallback cwd when shell integration reports none", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify, { fallbackCwd: () => "/workspace" });
    const execution = new FakeExecution("false");
    capture.started(execution);
    execution.end();
    await capture.ended(execution, 1);
    expect(server.notifications[0].params.cwd).toBe("/workspace");
  });

  it("keeps the end of very long output, where the error is", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify, { maxChars: 1000 });
    const noise = Array.from({ length: 500 }, (_, i) => `collecting item ${i}\n`);
    await run(capture, "pytest", [...noise, "E   ValueError: bad\n"], 1);
    const output: string = server.notifications[0].params.output;
    expect(output.length).toBeLessThanOrEqual(1000);
    expect(output.endsWith("E   ValueError: bad\n")).toBe(true);
  });

  it("does not wait forever for an output stream that never ends", async () => {
    const server = new FakeServer();
    const capture = new TerminalCapture(server.notify, { drainTimeoutMs: 20 });
    const execution = new FakeExecution("python app.py", "/ws");
    capture.started(execution);
    execution.write("Error: stuck\n");
    await capture.ended(execution, 1); // stream not ended
    expect(server.notifications[0].params.output).toBe("Error: stuck\n");
  });
});

describe("cleanTerminalOutput", () => {
  it("removes colours, OSC marks and carriage returns", () => {
    const raw = "\x1b]633;E;pytest\x07\x1b[31mE   KeyError\x1b[0m\r\nprogress 10%\rprogress 100%\r\n";
    expect(cleanTerminalOutput(raw)).toBe("E   KeyError\nprogress 10%\nprogress 100%\n");
  });
});
