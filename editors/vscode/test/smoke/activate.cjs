/**
 * Activates the bundled extension (dist/extension.js) with the fake `vscode` module
 * against the real teamlore server, then drives it like a user: another tool reports an
 * error, hover shows the past fix, "Record fix for this error" asks for the fix, a
 * failing terminal command becomes a diagnostic, "Mark as false positive…" asks for the
 * reason and the finding disappears. Writes what it saw as JSON.
 *
 * usage: node activate.cjs   (settings in TEAMLORE_SMOKE_* environment variables)
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { createFake } = require("./fake-vscode.cjs");

const folder = process.env.TEAMLORE_SMOKE_FOLDER;
const out = process.env.TEAMLORE_SMOKE_OUT;
const fix = process.env.TEAMLORE_SMOKE_FIX;
const error = process.env.TEAMLORE_SMOKE_ERROR;
const fake = createFake({
  folder,
  settings: { "teamlore.serverPath": process.env.TEAMLORE_SMOKE_SERVER, "teamlore.logLevel": "info" },
  inputAnswers: [fix, process.env.TEAMLORE_SMOKE_REASON],
});
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "vscode" ? fake.vscode : load.call(this, request, ...rest);
};

const result = { steps: [] };
const token = new fake.vscode.CancellationTokenSource().token;

async function waitFor(what, predicate, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main() {
  const extension = require(path.resolve(__dirname, "../../dist/extension.js"));
  const memento = { get: () => undefined, update: async () => {}, keys: () => [] };
  const context = { subscriptions: [], workspaceState: memento, globalState: memento, extensionPath: path.resolve(__dirname, "../..") };
  await extension.activate(context);
  await waitFor("the server's commands", () => fake.commands.has("teamlore.recordFix"));
  result.steps.push("running");
  const own = () => fake.collections.find((c) => c.name === "teamlore");

  // Another tool (say Pylance) reports the error on line 3 of app.py.
  const file = path.join(folder, "app.py");
  const doc = fake.openDocument(file, fs.readFileSync(file, "utf8"), "python");
  const { Diagnostic, Range, Position, DiagnosticSeverity } = fake.vscode;
  const other = new Diagnostic(new Range(2, 0, 2, 16), error, DiagnosticSeverity.Error);
  other.source = "Pylance";
  fake.setOtherDiagnostics(doc.uri, [other]);
  const seen = await waitFor("teamlore's diagnostic on the forwarded error", () =>
    own()?.get(doc.uri).find((d) => d.source === "teamlore"));
  result.seen = { line: seen.range.start.line, message: seen.message };
  result.steps.push("forwarded");

  const hover = await fake.providers.hover[0].provideHover(doc, new Position(2, 3), token);
  result.hover = hover ? hover.contents.map((c) => (typeof c === "string" ? c : c.value)).join("\n") : null;

  // "Record fix for this error" carries the error but not the fix: the input box asks.
  const actions = await fake.providers.codeAction[0].provideCodeActions(
    doc, new Range(2, 0, 2, 16), { diagnostics: [other, seen], triggerKind: 1, only: undefined }, token);
  result.actions = actions.map((a) => a.title);
  const record = actions.find((a) => a.title === "Record fix for this error");
  await fake.vscode.commands.executeCommand(record.command.command, ...(record.command.arguments ?? []));
  result.steps.push("recorded");

  // A failing command in the integrated terminal (shell integration).
  const traceback = [
    "Traceback (most recent call last):\r\n",
    `  File "${path.join(folder, "job.py")}", line 5, in <module>\r\n`,
    "    run()\r\n",
    `  File "${path.join(folder, "job.py")}", line 2, in run\r\n`,
    "    return {}['user_id']\r\n",
    "KeyError: 'user_id'\r\n",
  ];
  const execution = {
    commandLine: { value: "python job.py" },
    cwd: fake.vscode.Uri.file(folder),
    read: async function* () { for (const chunk of traceback) yield `\x1b[0m${chunk}`; },
  };
  fake.shellStart.fire({ execution });
  fake.shellEnd.fire({ execution, exitCode: 1 });
  const jobUri = fake.vscode.Uri.file(path.join(folder, "job.py"));
  const terminal = await waitFor("a diagnostic from the terminal", () => own()?.get(jobUri)[0]);
  result.terminal = { line: terminal.range.start.line, message: terminal.message };
  result.steps.push("terminal");

  // A security finding from another tool: "Mark as false positive…" asks for the reason,
  // writes the decision, and teamlore stops showing the finding.
  const settingsFile = path.join(folder, "settings.py");
  const settingsDoc = fake.openDocument(settingsFile, fs.readFileSync(settingsFile, "utf8"), "python");
  const bandit = new Diagnostic(new Range(1, 11, 1, 20), "Possible hardcoded password: 'hunter2'", DiagnosticSeverity.Warning);
  bandit.source = "bandit";
  bandit.code = "B105";
  fake.setOtherDiagnostics(settingsDoc.uri, [bandit]);
  const finding = () => own()?.get(settingsDoc.uri).find((d) => d.data && d.data.teamlore === "finding");
  const published = await waitFor("teamlore to republish the finding", finding);
  result.finding = { source: published.source, status: published.data.status };
  const triage = await fake.providers.codeAction[0].provideCodeActions(
    settingsDoc, published.range, { diagnostics: [bandit, published], triggerKind: 1, only: undefined }, token);
  result.triage_actions = triage.map((a) => a.title);
  const mark = triage.find((a) => a.title.startsWith("Mark as false positive…"));
  await fake.vscode.commands.executeCommand(mark.command.command, ...(mark.command.arguments ?? []));
  await waitFor("the finding to disappear", () => !finding());
  result.steps.push("false positive");

  await extension.deactivate();
  result.log = fake.log.filter((l) => l.startsWith("[input]") || l.startsWith("[notification"));
}

main()
  .then(() => { result.ok = true; })
  .catch((e) => { result.ok = false; result.error = String(e && e.stack || e); result.log = fake.log.slice(-40); })
  .finally(() => {
    fs.writeFileSync(out, JSON.stringify(result, null, 2));
    process.exit(result.ok ? 0 : 1);
  });
