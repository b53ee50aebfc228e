/**
 * A small in-process stand-in for the `vscode` module, enough for the bundled extension
 * and vscode-languageclient to activate, talk to the real server and show results.
 * Unknown members resolve to inert stubs. Used only by `activate.cjs`.
 */
"use strict";
const path = require("node:path");
const { pathToFileURL, fileURLToPath } = require("node:url");

class Disposable {
  constructor(fn) { this._fn = fn; }
  static from(...items) { return new Disposable(() => items.forEach((i) => i && i.dispose && i.dispose())); }
  dispose() { if (this._fn) this._fn(); this._fn = undefined; }
}

class EventEmitter {
  constructor() { this._listeners = new Set(); this.event = (fn, thisArg) => {
    const l = thisArg ? fn.bind(thisArg) : fn; this._listeners.add(l); return new Disposable(() => this._listeners.delete(l)); }; }
  fire(e) { for (const l of [...this._listeners]) l(e); }
  dispose() { this._listeners.clear(); }
}
const noEvent = () => new Disposable();

class Uri {
  constructor(scheme, p, query = "", fragment = "") { this.scheme = scheme; this.path = p; this.query = query; this.fragment = fragment; this.authority = ""; }
  static file(p) { return new Uri("file", path.resolve(p)); }
  static parse(s) {
    if (s.startsWith("file:")) return new Uri("file", fileURLToPath(s));
    const i = s.indexOf(":"); return new Uri(s.slice(0, i), s.slice(i + 1).replace(/^\/\//, ""));
  }
  get fsPath() { return this.path; }
  with(change) { return new Uri(change.scheme ?? this.scheme, change.path ?? this.path, change.query ?? this.query, change.fragment ?? this.fragment); }
  toString() { return this.scheme === "file" ? pathToFileURL(this.path).href : `${this.scheme}:${this.path}`; }
  toJSON() { return this.toString(); }
}

class Position {
  constructor(line, character) { this.line = line; this.character = character; }
  isBefore(o) { return this.line < o.line || (this.line === o.line && this.character < o.character); }
  isBeforeOrEqual(o) { return !o.isBefore(this); }
  isEqual(o) { return this.line === o.line && this.character === o.character; }
}
class Range {
  constructor(a, b, c, d) {
    if (typeof a === "number") { this.start = new Position(a, b); this.end = new Position(c, d); }
    else { this.start = a; this.end = b; }
  }
  contains(p) { const pos = p.start ?? p; return this.start.isBeforeOrEqual(pos) && pos.isBeforeOrEqual(p.end ?? p); }
  get isEmpty() { return this.start.isEqual(this.end); }
}
class Selection extends Range { get active() { return this.end; } }
class Location { constructor(uri, range) { this.uri = uri; this.range = range; } }
const DiagnosticSeverity = { Error: 0, Warning: 1, Information: 2, Hint: 3 };
const DiagnosticTag = { Unnecessary: 1, Deprecated: 2 };
class Diagnostic { constructor(range, message, severity = DiagnosticSeverity.Error) { this.range = range; this.message = message; this.severity = severity; } }
class DiagnosticRelatedInformation { constructor(location, message) { this.location = location; this.message = message; } }
class MarkdownString {
  constructor(value = "", supportThemeIcons = false) { this.value = value; this.supportThemeIcons = supportThemeIcons; }
  appendMarkdown(v) { this.value += v; return this; }
  appendText(v) { this.value += v; return this; }
  appendCodeblock(v) { this.value += "\n```\n" + v + "\n```\n"; return this; }
}
class Hover { constructor(contents, range) { this.contents = Array.isArray(contents) ? contents : [contents]; this.range = range; } }
class CodeActionKind {
  constructor(value) { this.value = value; }
  append(p) { return new CodeActionKind(this.value ? `${this.value}.${p}` : p); }
  contains(o) { return this.value === o.value || o.value.startsWith(this.value + "."); }
  intersects(o) { return this.contains(o) || o.contains(this); }
}
for (const [k, v] of Object.entries({ Empty: "", QuickFix: "quickfix", Refactor: "refactor", RefactorExtract: "refactor.extract",
  RefactorInline: "refactor.inline", RefactorRewrite: "refactor.rewrite", Source: "source", SourceOrganizeImports: "source.organizeImports",
  SourceFixAll: "source.fixAll", Notebook: "notebook" })) CodeActionKind[k] = new CodeActionKind(v);
class CodeAction { constructor(title, kind) { this.title = title; this.kind = kind; } }
class WorkspaceEdit { constructor() { this._edits = []; } set(uri, edits) { this._edits.push([uri, edits]); } entries() { return this._edits; } }
class TextEdit { constructor(range, newText) { this.range = range; this.newText = newText; } }
class CancellationTokenSource {
  constructor() { const e = new EventEmitter(); this.token = { isCancellationRequested: false, onCancellationRequested: e.event }; this._e = e; }
  cancel() { this.token.isCancellationRequested = true; this._e.fire(); }
  dispose() {}
}
class CancellationError extends Error {}
class RelativePattern { constructor(base, pattern) { this.base = base; this.pattern = pattern; } }
class DiagnosticCollection {
  constructor(name, changed) { this.name = name; this._map = new Map(); this._changed = changed; }
  set(uri, diags) {
    if (Array.isArray(uri)) { for (const [u, d] of uri) this.set(u, d); return; }
    if (!diags || diags.length === 0) this._map.delete(uri.toString()); else this._map.set(uri.toString(), [uri, diags]);
    this._changed([uri]);
  }
  get(uri) { return this._map.get(uri.toString())?.[1] ?? []; }
  has(uri) { return this._map.has(uri.toString()); }
  delete(uri) { this._map.delete(uri.toString()); this._changed([uri]); }
  clear() { const uris = [...this._map.values()].map(([u]) => u); this._map.clear(); this._changed(uris); }
  forEach(cb) { for (const [u, d] of this._map.values()) cb(u, d, this); }
  dispose() { this.clear(); }
}

function stub() {
  // Any unknown member: callable, constructible, iterable, thenable-free.
  const target = function () {};
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === Symbol.iterator) return function* () {};
      if (prop === "then") return undefined;
      if (prop === Symbol.toPrimitive) return () => 0;
      return stub();
    },
    apply() { return new Disposable(); },
    construct() { return {}; },
  });
}

function withFallback(obj) {
  return new Proxy(obj, { get(t, prop) { return prop in t ? t[prop] : stub(); } });
}

function createFake(options) {
  const log = [];
  const commands = new Map();
  const collections = [];
  const extraDiagnostics = new Map(); // uri string -> [uri, diags] (other tools)
  const diagnosticsChanged = new EventEmitter();
  const providers = { hover: [], codeAction: [] };
  const shellStart = new EventEmitter();
  const shellEnd = new EventEmitter();
  const openDocument = new EventEmitter();
  const trustGranted = new EventEmitter();
  const inputAnswers = [...(options.inputAnswers ?? [])];
  const shown = [];

  const channel = (name) => withFallback({
    name, logLevel: options.logLevel ?? 2, onDidChangeLogLevel: noEvent,
    append: (v) => log.push(v), appendLine: (v) => log.push(v), replace() {}, clear() {}, show() {}, hide() {}, dispose() {},
    trace: (m) => log.push(`[trace] ${m}`), debug: (m) => log.push(`[debug] ${m}`), info: (m) => log.push(`[info] ${m}`),
    warn: (m) => log.push(`[warn] ${m}`), error: (m) => log.push(`[error] ${m}`),
  });

  const documents = [];
  const vscode = {
    version: "1.93.0",
    Disposable, EventEmitter, Uri, Position, Range, Selection, Location, Diagnostic, DiagnosticSeverity, DiagnosticTag,
    DiagnosticRelatedInformation, MarkdownString, Hover, CodeActionKind, CodeAction, WorkspaceEdit, TextEdit,
    CancellationTokenSource, CancellationError, RelativePattern,
    StatusBarAlignment: { Left: 1, Right: 2 }, LogLevel: { Off: 0, Trace: 1, Debug: 2, Info: 3, Warning: 4, Error: 5 },
    ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 }, FileType: { Unknown: 0, File: 1, Directory: 2, SymbolicLink: 64 },
    CodeActionTriggerKind: { Invoke: 1, Automatic: 2 }, TextDocumentSaveReason: { Manual: 1, AfterDelay: 2, FocusOut: 3 },
    env: withFallback({ appName: "Fake Code", language: "en", machineId: "fake", openExternal: async () => true }),
    extensions: withFallback({ getExtension: () => undefined, all: [] }),
    tasks: withFallback({ registerTaskProvider: () => new Disposable() }),
    commands: withFallback({
      registerCommand(id, fn) {
        if (commands.has(id)) throw new Error(`command '${id}' already exists`);
        commands.set(id, fn);
        return new Disposable(() => commands.delete(id));
      },
      async executeCommand(id, ...args) {
        if (id === "setContext" || id === "markdown.showPreview") return undefined;
        const fn = commands.get(id);
        if (!fn) throw new Error(`command '${id}' not found`);
        return fn(...args);
      },
      getCommands: async () => [...commands.keys()],
    }),
    window: withFallback({
      createOutputChannel: (name) => channel(name),
      createStatusBarItem: () => withFallback({ text: "", tooltip: "", show() {}, hide() {}, dispose() {} }),
      showInformationMessage: async (m) => { log.push(`[notification] ${m}`); return undefined; },
      showWarningMessage: async (m) => { log.push(`[notification] ${m}`); return undefined; },
      showErrorMessage: async (m) => { log.push(`[notification:error] ${m}`); return undefined; },
      showInputBox: async (o) => { log.push(`[input] ${o.prompt}`); return inputAnswers.shift(); },
      showQuickPick: async (items) => (await items)[0],
      showTextDocument: async (d) => d,
      withProgress: async (_o, task) => task({ report() {} }, new CancellationTokenSource().token),
      activeTextEditor: undefined, visibleTextEditors: [], tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
      onDidChangeActiveTextEditor: noEvent, onDidChangeVisibleTextEditors: noEvent,
      onDidStartTerminalShellExecution: shellStart.event, onDidEndTerminalShellExecution: shellEnd.event,
    }),
    workspace: withFallback({
      isTrusted: options.trusted ?? true,
      onDidGrantWorkspaceTrust: trustGranted.event,
      workspaceFolders: [{ uri: Uri.file(options.folder), name: path.basename(options.folder), index: 0 }],
      getWorkspaceFolder: (uri) => (uri.fsPath.startsWith(options.folder) ? vscode.workspace.workspaceFolders[0] : undefined),
      getConfiguration: (section) => withFallback({
        get: (key, dflt) => {
          const full = section ? `${section}.${key}` : key;
          if (full in options.settings) return options.settings[full];
          if (section === undefined && key in options.settings) return options.settings[key];
          // A whole section ("teamlore"), as VS Code answers workspace/configuration.
          const nested = Object.entries(options.settings).filter(([k]) => k.startsWith(`${full}.`));
          if (nested.length === 0) return dflt;
          const value = {};
          for (const [k, v] of nested) {
            const parts = k.slice(full.length + 1).split(".");
            let node = value;
            for (const part of parts.slice(0, -1)) node = node[part] ??= {};
            node[parts[parts.length - 1]] = v;
          }
          return value;
        },
        has: () => false, inspect: () => undefined, update: async () => {},
      }),
      textDocuments: documents, notebookDocuments: [],
      onDidOpenTextDocument: openDocument.event, onDidChangeTextDocument: noEvent, onDidCloseTextDocument: noEvent,
      onDidSaveTextDocument: noEvent, onWillSaveTextDocument: noEvent, onDidChangeConfiguration: noEvent,
      onDidChangeWorkspaceFolders: noEvent, onDidCreateFiles: noEvent, onDidRenameFiles: noEvent, onDidDeleteFiles: noEvent,
      onWillCreateFiles: noEvent, onWillRenameFiles: noEvent, onWillDeleteFiles: noEvent,
      onDidOpenNotebookDocument: noEvent, onDidChangeNotebookDocument: noEvent, onDidSaveNotebookDocument: noEvent, onDidCloseNotebookDocument: noEvent,
      createFileSystemWatcher: () => withFallback({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose() {} }),
      openTextDocument: async (o) => { shown.push(o.content); return { uri: Uri.parse("untitled:report") }; },
      applyEdit: async () => true,
    }),
    languages: withFallback({
      match: () => 10,
      createDiagnosticCollection: (name) => {
        const c = new DiagnosticCollection(name, (uris) => diagnosticsChanged.fire({ uris }));
        collections.push(c);
        return c;
      },
      getDiagnostics: (uri) => {
        if (uri) {
          const own = collections.flatMap((c) => c.get(uri));
          return [...(extraDiagnostics.get(uri.toString())?.[1] ?? []), ...own];
        }
        const all = new Map(extraDiagnostics);
        for (const c of collections) c.forEach((u, d) => all.set(u.toString(), [u, [...(all.get(u.toString())?.[1] ?? []), ...d]]));
        return [...all.values()];
      },
      onDidChangeDiagnostics: diagnosticsChanged.event,
      registerHoverProvider: (_s, p) => { providers.hover.push(p); return new Disposable(); },
      registerCodeActionsProvider: (_s, p) => { providers.codeAction.push(p); return new Disposable(); },
    }),
  };

  const fake = withFallback(vscode);
  return {
    vscode: fake, log, commands, providers, collections, shown, shellStart, shellEnd,
    /** The user trusts the workspace (what "Trust" in VS Code's Restricted Mode banner does). */
    grantTrust() { vscode.workspace.isTrusted = true; trustGranted.fire(); },
    /** Another tool's diagnostics for a document (what Pylance or mypy would publish). */
    setOtherDiagnostics(uri, diags) { extraDiagnostics.set(uri.toString(), [uri, diags]); diagnosticsChanged.fire({ uris: [uri] }); },
    openDocument(file, text, languageId) {
      const uri = Uri.file(file);
      const lines = text.split("\n");
      const doc = {
        uri, fileName: file, languageId, version: 1, isClosed: false, isDirty: false, isUntitled: false, eol: 1,
        lineCount: lines.length, getText: () => text,
        lineAt: (n) => ({ text: lines[typeof n === "number" ? n : n.line] ?? "" }),
        offsetAt: () => 0, positionAt: () => new Position(0, 0), save: async () => true,
      };
      documents.push(doc);
      openDocument.fire(doc);
      return doc;
    },
  };
}

module.exports = { createFake };
