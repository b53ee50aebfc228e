/**
 * Activates the bundled extension (dist/extension.js) in a workspace VS Code does not
 * trust, with the fake `vscode` module and the real teamlore server, and writes what it
 * saw as JSON. Two scenarios (TEAMLORE_SMOKE_SCENARIO):
 *
 * - "inside": teamlore.serverPath names a program inside the workspace. It must not be
 *   started until the user grants trust; then the server starts without Restricted Mode.
 * - "outside": the server lies outside the workspace. It starts in Restricted Mode, and
 *   the initialize request carries restrictedMode true, no sync URL and no scanners.
 *
 * usage: node trust.cjs   (settings in TEAMLORE_SMOKE_* environment variables)
 */
"use strict";
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const { createFake } = require("./fake-vscode.cjs");

const folder = process.env.TEAMLORE_SMOKE_FOLDER;
const out = process.env.TEAMLORE_SMOKE_OUT;
const scenario = process.env.TEAMLORE_SMOKE_SCENARIO;
const settings = {
  "teamlore.serverPath": process.env.TEAMLORE_SMOKE_SERVER,
  "teamlore.trace.server": "verbose",
  "teamlore.scannersOnSave": ["bandit"],
};
if (process.env.TEAMLORE_SMOKE_REDIS) settings["teamlore.redisUrl"] = process.env.TEAMLORE_SMOKE_REDIS;
// Log level Trace (1): vscode-languageclient then writes every message to the output.
const fake = createFake({ folder, settings, trusted: false, logLevel: 1 });
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === "vscode" ? fake.vscode : load.call(this, request, ...rest);
};

const result = { scenario, steps: [] };

async function waitFor(what, predicate, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The JSON that follows each trace line starting with `heading`, in order. */
function traced(heading) {
  const found = [];
  for (const entry of fake.log) {
    if (!entry.startsWith(`[trace] ${heading}`)) continue;
    const body = entry.slice(entry.indexOf("\n") + 1).replace(/^(Params|Result): /, "");
    found.push(JSON.parse(body));
  }
  return found;
}
const initializeOptions = () => traced("Sending request 'initialize").map((p) => p.initializationOptions);
const configurationAnswers = () => traced("Sending response 'workspace/configuration").map((r) => r[0]);

async function main() {
  const extension = require(path.resolve(__dirname, "../../dist/extension.js"));
  const memento = { get: () => undefined, update: async () => {}, keys: () => [] };
  const context = { subscriptions: [], workspaceState: memento, globalState: memento, extensionPath: path.resolve(__dirname, "../..") };
  await extension.activate(context);
  const running = () => fake.commands.has("teamlore.recordFix");

  if (scenario === "inside") {
    await waitFor("the refusal", () => fake.log.some((l) => l.includes("this workspace is not trusted")));
    await new Promise((r) => setTimeout(r, 500));
    result.before = { running: running(), initialize: initializeOptions().length };
    result.steps.push("refused");
    fake.grantTrust();
    await waitFor("the server after trust was granted", running);
    result.after = { running: running(), initialize: initializeOptions() };
    result.steps.push("trusted");
  } else {
    await waitFor("the server", running);
    result.initialize = initializeOptions();
    result.configuration = await waitFor("the server's workspace/configuration request", () => configurationAnswers()[0]);
    result.steps.push("restricted");
  }
  await extension.deactivate();
  result.notifications = fake.log.filter((l) => l.startsWith("[notification"));
  if (process.env.TEAMLORE_SMOKE_DUMP) result.log = fake.log;
}

main()
  .then(() => { result.ok = true; })
  .catch((e) => { result.ok = false; result.error = String(e && e.stack || e); result.log = fake.log.slice(-60); })
  .finally(() => {
    fs.writeFileSync(out, JSON.stringify(result, null, 2));
    process.exit(result.ok ? 0 : 1);
  });
