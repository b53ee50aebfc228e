import { beforeEach, describe, expect, it } from "vitest";
import { CommandRunner, diagnosticsAt, resultMarkdown } from "../src/core/commands";
import { ServerCommands } from "../src/core/protocol";
import { diag, FakeEditor, FakeServer, FakeUi } from "./fakes";

const URI = "file:///ws/app.py";

describe("CommandRunner", () => {
  let ui: FakeUi;
  let editor: FakeEditor;
  let server: FakeServer;
  let runner: CommandRunner;

  beforeEach(() => {
    ui = new FakeUi();
    editor = new FakeEditor();
    server = new FakeServer();
    runner = new CommandRunner(ui, editor, server.exec);
  });

  it("recordFix from a code action: asks for the missing fix text, then executes with it", async () => {
    ui.inputAnswers = ["added structlog to requirements.txt"];
    const arg = { error: "ModuleNotFoundError: No module named 'structlog'", uri: URI };
    await runner.run(ServerCommands.recordFix, [arg]);
    expect(ui.inputs).toHaveLength(1);
    expect(ui.inputs[0].prompt).toContain("No module named 'structlog'");
    expect(server.executed).toEqual([
      { command: ServerCommands.recordFix, args: [{ ...arg, fix: "added structlog to requirements.txt" }] },
    ]);
  });

  it("recordFix with the fix already given: no prompt", async () => {
    await runner.run(ServerCommands.recordFix, [{ error: "KeyError: 'id'", fix: "use .get()" }]);
    expect(ui.inputs).toHaveLength(0);
    expect(server.executed[0].args).toEqual([{ error: "KeyError: 'id'", fix: "use .get()" }]);
  });

  it("recordFix cancelled in the input box: nothing is executed", async () => {
    ui.inputAnswers = [undefined];
    expect(await runner.run(ServerCommands.recordFix, [{ error: "KeyError: 'id'" }])).toBeUndefined();
    expect(server.executed).toHaveLength(0);
  });

  it("recordFix from the palette: takes the error under the cursor", async () => {
    const d = diag(4, "KeyError: 'user_id'", "teamlore");
    editor.atCursor = [{ uri: URI, diagnostic: d, own: true }];
    ui.inputAnswers = ["check the key first"];
    await runner.run(ServerCommands.recordFix, []);
    expect(server.executed[0].args[0]).toEqual({
      error: "KeyError: 'user_id'",
      uri: URI,
      range: d.range,
      fix: "check the key first",
    });
  });

  it("recordFix from the palette with several errors at the cursor: lets the user pick", async () => {
    editor.atCursor = [
      { uri: URI, diagnostic: diag(4, "unused variable", "ruff", { severity: 2 }), own: false },
      { uri: URI, diagnostic: diag(4, "TypeError: bad operand", "teamlore", { severity: 1 }), own: true },
    ];
    ui.pickAnswers = [0]; // errors are listed first
    ui.inputAnswers = ["cast to int"];
    await runner.run(ServerCommands.recordFix, []);
    expect(ui.picks[0].labels).toEqual(["TypeError: bad operand", "unused variable"]);
    expect(server.executed[0].args[0].error).toBe("TypeError: bad operand");
  });

  it("recordFix from the palette: the error and teamlore's note on it count as one", async () => {
    const error = "ModuleNotFoundError: No module named 'structlog'";
    editor.atCursor = [
      { uri: URI, diagnostic: diag(2, error, "Pylance"), own: false },
      { uri: URI, diagnostic: diag(2, "seen before: 1 fix", "teamlore", { data: { teamlore: "error", error, matches: ["b1"] } }), own: true },
      { uri: URI, diagnostic: diag(2, "B404 subprocess", "bandit", { data: { teamlore: "finding" } }), own: true },
    ];
    ui.inputAnswers = ["pip install structlog"];
    await runner.run(ServerCommands.recordFix, []);
    expect(ui.picks).toHaveLength(0);
    expect(server.executed[0].args[0].error).toBe(error);
  });

  it("recordFix from the palette with nothing at the cursor: asks for the error text too", async () => {
    ui.inputAnswers = ["ValueError: invalid literal for int()", "strip the input"];
    await runner.run(ServerCommands.recordFix, []);
    expect(ui.inputs).toHaveLength(2);
    expect(server.executed[0].args[0]).toEqual({ error: "ValueError: invalid literal for int()", fix: "strip the input" });
  });

  it("markFalsePositive without a reason: asks for one and sends the finding data plus reason", async () => {
    const finding = { fingerprint: "ab12", tool: "bandit", rule: "B105", path: "app.py" };
    ui.inputAnswers = ["test fixture, not a real password"];
    await runner.run(ServerCommands.markFalsePositive, [finding]);
    expect(ui.inputs[0].prompt).toMatch(/false positive/);
    expect(server.executed).toEqual([
      { command: ServerCommands.markFalsePositive, args: [{ ...finding, reason: "test fixture, not a real password" }] },
    ]);
    expect(ui.infos).toEqual(["teamlore: marked as false positive."]);
  });

  it("acceptRisk with a quick reason from the server: executes without asking", async () => {
    const arg = { fingerprint: "ab12", reason: "not security relevant" };
    await runner.run(ServerCommands.acceptRisk, [arg]);
    expect(ui.inputs).toHaveLength(0);
    expect(server.executed[0]).toEqual({ command: ServerCommands.acceptRisk, args: [arg] });
  });

  it("markFalsePositive from the palette: uses the finding the server published at the cursor", async () => {
    const data = { fingerprint: "cd34", rule: "B602" };
    editor.atCursor = [
      { uri: URI, diagnostic: diag(2, "KeyError", "teamlore"), own: true },
      { uri: URI, diagnostic: diag(2, "shell=True", "bandit", { data }), own: true },
      { uri: URI, diagnostic: diag(2, "other tool", "semgrep", { data: { x: 1 } }), own: false },
    ];
    ui.inputAnswers = ["command is a constant"];
    await runner.run(ServerCommands.markFalsePositive, []);
    expect(server.executed[0].args).toEqual([{ findings: [data], uri: URI, reason: "command is a constant" }]);
  });

  it("markFalsePositive from the palette with no finding at the cursor: says so, executes nothing", async () => {
    await runner.run(ServerCommands.markFalsePositive, []);
    expect(server.executed).toHaveLength(0);
    expect(ui.infos[0]).toContain("no security finding");
  });

  it("an empty reason cancels", async () => {
    ui.inputAnswers = ["   "];
    await runner.run(ServerCommands.markFalsePositive, [{ fingerprint: "x" }]);
    expect(server.executed).toHaveLength(0);
  });

  it("debtReport shows the returned markdown", async () => {
    server.results.set(ServerCommands.debtReport, "## Debt\n42 markers");
    await runner.run(ServerCommands.debtReport, []);
    expect(ui.shown).toEqual([{ title: "teamlore: debt report", markdown: "## Debt\n42 markers" }]);
  });

  it("showMatches shows the past fixes", async () => {
    server.results.set(ServerCommands.showMatches, {
      matches: [{ fix: "pin urllib3<2", score: 0.93, root_cause: "breaking release" }],
    });
    await runner.run(ServerCommands.showMatches, [{ error: "ImportError: cannot import name 'x'" }]);
    expect(ui.shown[0].markdown).toContain("pin urllib3<2");
    expect(ui.shown[0].markdown).toContain("0.93");
  });

  it("pendingFixes: pick a proposal, accept it with an edited summary", async () => {
    server.results.set(ServerCommands.pendingFixes, {
      proposals: [
        { id: "p1", error: "ModuleNotFoundError: No module named 'structlog'", summary: "requirements.txt: +structlog", minutes: 12 },
      ],
    });
    ui.pickAnswers = [0, 0]; // the proposal, then "Accept"
    ui.inputAnswers = ["added structlog to requirements.txt"];
    await runner.run(ServerCommands.pendingFixes, []);
    expect(ui.inputs[0].value).toBe("requirements.txt: +structlog");
    expect(server.executed.map((e) => e.command)).toEqual([ServerCommands.pendingFixes, ServerCommands.acceptFix]);
    expect(server.executed[1].args).toEqual([{ id: "p1", fix: "added structlog to requirements.txt" }]);
  });

  it("dismissFix from the palette: picks the proposal first", async () => {
    server.results.set(ServerCommands.pendingFixes, { proposals: [{ id: "p9", summary: "x" }] });
    ui.pickAnswers = [0];
    await runner.run(ServerCommands.dismissFix, []);
    expect(server.executed[1]).toEqual({ command: ServerCommands.dismissFix, args: [{ id: "p9" }] });
  });

  it("no proposals: tells the user", async () => {
    server.results.set(ServerCommands.pendingFixes, { proposals: [] });
    await runner.run(ServerCommands.pendingFixes, []);
    expect(ui.infos).toEqual(["teamlore: no proposed fixes waiting."]);
  });

  it("a server error is shown, not thrown", async () => {
    server.results.set(ServerCommands.debtReport, new Error("not a git repository"));
    expect(await runner.run(ServerCommands.debtReport, [])).toBeUndefined();
    expect(ui.errors[0]).toContain("not a git repository");
  });

  it("passes unknown commands through unchanged", async () => {
    await runner.run("teamlore.somethingNew", [1, "two"]);
    expect(server.executed).toEqual([{ command: "teamlore.somethingNew", args: [1, "two"] }]);
  });
});

describe("diagnosticsAt", () => {
  const items = [
    { diagnostic: diag(3, "on line 3") },
    { diagnostic: { ...diag(5, "cols 4-8"), range: { start: { line: 5, character: 4 }, end: { line: 5, character: 8 } } } },
  ];
  it("returns those covering the position", () => {
    expect(diagnosticsAt(items, { line: 5, character: 6 }).map((i) => i.diagnostic.message)).toEqual(["cols 4-8"]);
  });
  it("falls back to the cursor's line", () => {
    expect(diagnosticsAt(items, { line: 5, character: 20 }).map((i) => i.diagnostic.message)).toEqual(["cols 4-8"]);
    expect(diagnosticsAt(items, { line: 9, character: 0 })).toEqual([]);
  });
});

describe("resultMarkdown", () => {
  it("says so when there are no matches", () => {
    expect(resultMarkdown({ matches: [] })).toMatch(/No past fix/);
  });
  it("reads matches nested under record", () => {
    expect(resultMarkdown({ matches: [{ record: { fix: "use .get()" }, score: 0.9 }] })).toContain("**use .get()** (score 0.90)");
  });
  it("shows unknown shapes as JSON", () => {
    expect(resultMarkdown({ a: 1 })).toContain('"a": 1');
  });
});
