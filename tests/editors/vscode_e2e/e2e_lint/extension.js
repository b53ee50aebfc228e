// A stand-in for another tool's extension: publishes the diagnostics listed in
// `.e2e-lint.json` ([{file, line (1-based), message}]) with source "e2e-lint".
const fs = require("node:fs");
const path = require("node:path");
const vscode = require("vscode");

function activate(context) {
  const collection = vscode.languages.createDiagnosticCollection("e2e-lint");
  context.subscriptions.push(collection);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) return;
  let listed = [];
  try {
    listed = JSON.parse(fs.readFileSync(path.join(folder, ".e2e-lint.json"), "utf8"));
  } catch {
    return;
  }
  const byFile = new Map();
  for (const item of listed) {
    const uri = vscode.Uri.file(path.join(folder, item.file));
    const line = item.line - 1;
    const diagnostic = new vscode.Diagnostic(
      new vscode.Range(line, 0, line, 200), item.message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = "e2e-lint";
    byFile.set(uri.toString(), [...(byFile.get(uri.toString()) ?? []), [uri, diagnostic]]);
  }
  for (const entries of byFile.values()) collection.set(entries[0][0], entries.map((e) => e[1]));
}

module.exports = { activate, deactivate() {} };
