/**
 * The VS Code side of teamlore: starts `teamlore lsp` and connects the editor's parts
 * the protocol does not cover (other tools' diagnostics, the terminal, input boxes,
 * the status bar). All decisions live in `core/`, which does not import `vscode`.
 */
import { execFile } from "node:child_process";
import { constants as fsConstants, promises as fs } from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
} from "vscode-languageclient/node";
import { CommandRunner, type CursorDiagnostic, diagnosticsAt, type Ui } from "./core/commands";
import { discoverServer, type ServerLaunch } from "./core/discovery";
import { DiagnosticForwarder, foreignDiagnostics } from "./core/forwarding";
import { type LspDiagnostic, SOURCE, ServerCommands } from "./core/protocol";
import { RestartPolicy } from "./core/restart";
import { findRepositoryRoot, ROOT_MARKERS } from "./core/root";
import { needsRestart, readSettings, serverSection, serverSettings, type TeamloreSettings } from "./core/settings";
import { parseStatus, renderStatus, type ServerStatus, statusFromCli } from "./core/status";
import { parseTaskDefinition, PROBLEM_MATCHER, TASK_TYPE, taskLabel, taskProcess } from "./core/tasks";
import { TerminalCapture } from "./core/terminal";
import { checkLaunch, initializationOptions, restrictSettings, userValue, WorkspaceTrust } from "./core/trust";
import { markServerSteps, WALKTHROUGH } from "./core/walkthrough";

let extension: TeamloreExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new TeamloreExtension(context);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
  extension = undefined;
}

class TeamloreExtension {
  private client: LanguageClient | undefined;
  private settings: TeamloreSettings;
  private readonly output: vscode.LogOutputChannel;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly restarts = new RestartPolicy();
  private readonly forwarder: DiagnosticForwarder;
  private readonly terminal: TerminalCapture;
  private readonly runner: CommandRunner;
  private readonly trust: WorkspaceTrust;
  private statusTimer: ReturnType<typeof setTimeout> | undefined;
  private reportTimer: ReturnType<typeof setTimeout> | undefined;
  private launch: ServerLaunch | undefined;
  /** The repository the first workspace folder is in (it, or a folder above it). */
  private root: string | undefined;
  /** Suppressed findings and debt trend, refreshed when the memory changes. */
  private reports: ServerStatus | undefined;

  constructor(context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel("teamlore", { log: true });
    this.settings = this.readSettings();
    this.trust = new WorkspaceTrust(vscode.workspace.isTrusted, () => this.restart());
    this.statusItem = vscode.window.createStatusBarItem("teamlore.status", vscode.StatusBarAlignment.Right, 50);
    this.statusItem.name = "teamlore";
    this.statusItem.command = "teamlore.menu";
    this.statusItem.text = "teamlore";

    const notify = (method: string, params: unknown): Promise<void> | void => {
      if (this.client?.state === State.Running) return this.client.sendNotification(method, params);
    };
    const logError = (error: unknown): void => this.output.error(String(error));
    this.forwarder = new DiagnosticForwarder(
      {
        all: (uri) => this.toLsp(vscode.languages.getDiagnostics(vscode.Uri.parse(uri))),
        own: (uri) => this.toLsp([...(this.client?.diagnostics?.get(vscode.Uri.parse(uri)) ?? [])]),
      },
      notify,
      { onError: logError },
    );
    this.terminal = new TerminalCapture(notify, {
      fallbackCwd: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
      store: context.workspaceState,
      onError: logError,
    });
    this.runner = new CommandRunner(this.ui(), { diagnosticsAtCursor: () => this.diagnosticsAtCursor() }, (command, args) =>
      this.execute(command, args).finally(() => this.scheduleReports()),
    );
    const memoryWatcher = vscode.workspace.createFileSystemWatcher("**/.teamlore/{security,debt}/**");
    const periodic = setInterval(() => this.scheduleReports(), 10 * 60_000);

    context.subscriptions.push(
      this.output,
      this.statusItem,
      { dispose: () => this.forwarder.dispose() },
      vscode.languages.onDidChangeDiagnostics((e) => {
        this.forwarder.changed(e.uris.map((u) => u.toString()));
        this.scheduleStatus();
      }),
      vscode.window.onDidStartTerminalShellExecution((e) => this.terminal.started(e.execution)),
      vscode.window.onDidEndTerminalShellExecution((e) => {
        void this.terminal.ended(e.execution, e.exitCode).then((sent) => {
          if (sent) this.output.info(`sent failing command to the server: ${sent.command} (exit ${sent.exitCode})`);
        });
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.output.info("workspace trusted: restarting the server without Restricted Mode");
        void this.trust.granted();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration("teamlore")) void this.settingsChanged();
      }),
      vscode.commands.registerCommand("teamlore.restartServer", () => this.restart()),
      vscode.commands.registerCommand("teamlore.showOutput", () => this.output.show()),
      vscode.commands.registerCommand("teamlore.menu", () => this.menu()),
      vscode.commands.registerCommand("teamlore.openWalkthrough", async () => {
        await vscode.commands.executeCommand("workbench.action.openWalkthrough", WALKTHROUGH, false);
        // shown now, so registered: the server's steps can be ticked for certain
        if (this.client?.state === State.Running) await this.markServerSteps();
      }),
      vscode.tasks.registerTaskProvider(TASK_TYPE, {
        provideTasks: () => [],
        resolveTask: (task) => this.resolveTask(task),
      }),
      this.watchForRepository(),
      memoryWatcher,
      memoryWatcher.onDidChange(() => this.scheduleReports()),
      memoryWatcher.onDidCreate(() => this.scheduleReports()),
      memoryWatcher.onDidDelete(() => this.scheduleReports()),
      {
        dispose: () => {
          clearInterval(periodic);
          clearTimeout(this.statusTimer);
          clearTimeout(this.reportTimer);
        },
      },
    );
  }

  async start(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    this.root = folder === undefined ? undefined : await findRepositoryRoot(folder, exists);
    if (this.root === undefined) {
      // Activated on start-up in a folder that is no repository: stay idle until one appears.
      this.output.info(`not starting: no ${ROOT_MARKERS.join(" or ")} in ${folder ?? "(no folder)"} or above`);
      this.statusItem.hide();
      return;
    }
    if (this.root !== folder) this.output.info(`repository root: ${this.root}`);
    const found = await discoverServer(
      {
        serverPath: this.settings.serverPath,
        workspaceFolder: folder,
        interpreter: await this.pythonInterpreter(),
        pathEnv: process.env.PATH,
        platform: process.platform,
        home: os.homedir(),
      },
      {
        isExecutable,
        refuse: async (file) => (await checkLaunch(file, folder, this.trust.trusted, (f) => fs.realpath(f))).reason,
      },
    );
    if (found.refused) {
      const message = found.error ?? "teamlore: the server was not started.";
      this.output.error(`${message}\nlooked at:\n  ${found.tried.join("\n  ")}`);
      void vscode.window.showWarningMessage(message, "Manage workspace trust").then((choice) => {
        if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
      });
      this.statusItem.text = "$(shield) teamlore";
      this.statusItem.tooltip = message;
      this.statusItem.show();
      return;
    }
    if (!found.launch) {
      const message =
        found.error ??
        "teamlore: the `teamlore` command was not found (looked in the selected Python environment and on the PATH). " +
          "Install it (`pip install teamlore`) or set teamlore.serverPath.";
      this.output.error(`${message}\nlooked at:\n  ${found.tried.join("\n  ")}`);
      void vscode.window.showErrorMessage(message, "Open settings", "Show output").then((choice) => {
        if (choice === "Open settings") void vscode.commands.executeCommand("workbench.action.openSettings", "teamlore.serverPath");
        if (choice === "Show output") this.output.show();
      });
      this.statusItem.text = "$(error) teamlore";
      this.statusItem.tooltip = message;
      this.statusItem.show();
      return;
    }
    if (!this.trust.trusted) {
      this.output.info("workspace not trusted (Restricted Mode): no team sync, no scanners on save");
    }
    this.output.info(`starting ${found.launch.command} ${found.launch.args.join(" ")} (found via ${found.launch.origin})`);
    this.launch = found.launch;

    // No `transport`: TransportKind.stdio would append `--stdio`, which `teamlore lsp`
    // does not take; without it the client talks over stdio all the same.
    const serverOptions: ServerOptions = {
      command: found.launch.command,
      args: found.launch.args,
      options: { cwd: this.root },
    };
    const rootUri = vscode.Uri.file(this.root);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }],
      // The server keeps the memory of the repository root, also when a subfolder is open.
      workspaceFolder: { uri: rootUri, name: rootUri.path.split("/").pop() || this.root, index: 0 },
      diagnosticCollectionName: SOURCE,
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: initializationOptions(serverSettings(this.settings), this.trust.trusted),
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => {
          const decision = this.restarts.crashed();
          this.output.warn(decision.message);
          void vscode.window.showWarningMessage(decision.message, "Show output").then((choice) => {
            if (choice) this.output.show();
          });
          return { action: decision.restart ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        executeCommand: (command, args) => this.runner.run(command, args),
        workspace: {
          configuration: async (params, token, next) => {
            const result = await next(params, token);
            if (!Array.isArray(result)) return result;
            return result.map((value, i) => (params.items[i]?.section === SOURCE ? this.section(value) : value));
          },
        },
      },
    };
    const client = new LanguageClient("teamlore", "teamlore", serverOptions, clientOptions);
    this.client = client;
    client.onDidChangeState((e) => {
      const running = e.newState === State.Running;
      void vscode.commands.executeCommand("setContext", "teamlore.running", running);
      if (running) {
        this.statusItem.text = "teamlore";
        this.statusItem.tooltip = "teamlore: the server is running";
        // A (re)started server knows nothing yet: send every current diagnostic.
        this.forwarder.reset();
        this.forwarder.changed(vscode.languages.getDiagnostics().map(([uri]) => uri.toString()));
        this.scheduleReports();
        void this.markServerSteps();
      }
    });
    // Honest while it starts: the spinner goes once the server answered `initialize`.
    this.statusItem.text = "$(loading~spin) teamlore";
    this.statusItem.tooltip = "teamlore: starting the server…";
    this.statusItem.show();
    try {
      await client.start();
    } catch (error) {
      this.statusItem.text = "$(error) teamlore";
      this.statusItem.tooltip = `teamlore: the server did not start (${String(error)})`;
      this.output.error(`the teamlore server did not start: ${String(error)}`);
      void vscode.window.showErrorMessage(`teamlore: the server did not start (${String(error)}).`, "Show output").then(
        (choice) => {
          if (choice) this.output.show();
        },
      );
    }
  }

  /** The walkthrough's "server found" steps (see core/walkthrough for why not only their completion event). */
  private markServerSteps(): Promise<void> {
    return markServerSteps(
      (command, step) => vscode.commands.executeCommand(command, step),
      (step, error) => this.output.debug(`walkthrough step ${step} not marked yet: ${String(error)}`),
    );
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client && client.state !== State.Stopped) await client.stop();
  }

  private async restart(): Promise<void> {
    this.restarts.reset();
    await this.stop();
    await this.start();
  }

  private readSettings(): TeamloreSettings {
    const config = vscode.workspace.getConfiguration("teamlore");
    return readSettings(
      (name) => config.get(name),
      (message) => {
        this.output?.warn(message);
        void vscode.window.showWarningMessage(message);
      },
    );
  }

  private async settingsChanged(): Promise<void> {
    const before = this.settings;
    this.settings = this.readSettings();
    if (needsRestart(before, this.settings)) {
      await this.restart();
    } else if (this.client?.state === State.Running) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { teamlore: restrictSettings(serverSettings(this.settings), this.trust.trusted) },
      });
      this.scheduleStatus();
    }
  }

  /** The `teamlore` section for the server's workspace/configuration, restricted when untrusted. */
  private section(value: unknown): unknown {
    const section = serverSection(value);
    if (typeof section !== "object" || section === null || Array.isArray(section)) return section;
    return restrictSettings(section as Record<string, unknown>, this.trust.trusted);
  }

  private async pythonInterpreter(): Promise<string | undefined> {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const python = vscode.extensions.getExtension("ms-python.python");
    if (python) {
      try {
        const api = python.isActive ? python.exports : await python.activate();
        const env = api?.environments?.getActiveEnvironmentPath?.(resource);
        if (typeof env?.path === "string" && env.path) return env.path;
      } catch (error) {
        this.output.warn(`could not ask the Python extension for the interpreter: ${String(error)}`);
      }
    }
    // Only the user's own value: a program path must never come from the repository's
    // .vscode/settings.json (VS Code applies no scope to a setting of an extension that
    // is not installed).
    const configured = userValue(
      vscode.workspace.getConfiguration("python", resource).inspect<string>("defaultInterpreterPath"),
    );
    return configured && configured !== "python" ? configured : undefined;
  }

  private async toLsp(diagnostics: readonly vscode.Diagnostic[]): Promise<LspDiagnostic[]> {
    if (!this.client || diagnostics.length === 0) return [];
    return (await this.client.code2ProtocolConverter.asDiagnostics([...diagnostics])) as LspDiagnostic[];
  }

  private async execute(command: string, args: unknown[]): Promise<unknown> {
    const client = this.client;
    if (!client || client.state !== State.Running) throw new Error("the teamlore server is not running");
    return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
  }

  private async diagnosticsAtCursor(): Promise<CursorDiagnostic[]> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return [];
    const uri = editor.document.uri;
    const own = await this.toLsp([...(this.client?.diagnostics?.get(uri) ?? [])]);
    const foreign = foreignDiagnostics(await this.toLsp(vscode.languages.getDiagnostics(uri)), own);
    const items: CursorDiagnostic[] = [
      ...own.map((diagnostic) => ({ uri: uri.toString(), diagnostic, own: true })),
      ...foreign.map((diagnostic) => ({ uri: uri.toString(), diagnostic, own: false })),
    ];
    const pos = editor.selection.active;
    return diagnosticsAt(items, { line: pos.line, character: pos.character });
  }

  private scheduleStatus(): void {
    if (this.statusTimer !== undefined) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => void this.refreshStatus(), 1000);
  }

  /** Re-reads the security and debt reports (server command, else the CLI), then the status. */
  private scheduleReports(): void {
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      void this.refreshReports().then(() => this.refreshStatus());
    }, 2000);
  }

  private async refreshReports(): Promise<void> {
    const client = this.client;
    const offered = client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    try {
      if (offered.includes(ServerCommands.status)) {
        this.reports = parseStatus(await this.execute(ServerCommands.status, []));
      } else if (this.launch) {
        this.reports = await statusFromCli((args) => this.runCli(args));
      }
    } catch (error) {
      this.output.warn(`could not read the status: ${String(error)}`);
    }
  }

  private runCli(args: string[]): Promise<{ code: number; stdout: string }> {
    const launch = this.launch;
    const folder = this.root;
    if (!launch || !folder) return Promise.resolve({ code: -1, stdout: "" });
    const prefix = launch.args.filter((a) => a !== "lsp");
    return new Promise((resolve) => {
      execFile(
        launch.command,
        [...prefix, "--root", folder, ...args],
        { cwd: folder, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout: String(stdout) });
        },
      );
    });
  }

  private async refreshStatus(): Promise<void> {
    const client = this.client;
    if (!client || client.state !== State.Running) return;
    let knownErrors = 0;
    let findings = 0;
    client.diagnostics?.forEach((_uri, diagnostics) => {
      for (const d of diagnostics) {
        if (d.source === SOURCE) knownErrors += 1;
        else findings += 1;
      }
    });
    const view = renderStatus(this.reports, { knownErrors, findings });
    this.statusItem.text = view.text;
    this.statusItem.tooltip = view.tooltip;
  }

  private async menu(): Promise<void> {
    const items: (vscode.QuickPickItem & { command: string })[] = [
      { label: "Record fix for the error at the cursor", command: ServerCommands.recordFix },
      { label: "Show past fixes for the error at the cursor", command: ServerCommands.showMatches },
      { label: "Mark the finding at the cursor as false positive", command: ServerCommands.markFalsePositive },
      { label: "Accept the risk of the finding at the cursor", command: ServerCommands.acceptRisk },
      { label: "Review proposed fixes", command: ServerCommands.pendingFixes },
      { label: "Debt report", command: ServerCommands.debtReport },
      { label: "Get started", command: "teamlore.openWalkthrough" },
      { label: "Show output", command: "teamlore.showOutput" },
      { label: "Restart server", command: "teamlore.restartServer" },
    ];
    const chosen = await vscode.window.showQuickPick(items, { title: "teamlore" });
    if (chosen) await vscode.commands.executeCommand(chosen.command);
  }

  /** A `teamlore` task from tasks.json: `teamlore run --notify -- COMMAND` with the `$teamlore` matcher. */
  private resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = parseTaskDefinition(task.definition);
    if (!definition) {
      this.output.warn(`task ${task.name}: "command" must be a non-empty list of strings`);
      return undefined;
    }
    const launch = this.launch ?? { command: "teamlore", args: [] };
    const run = taskProcess(launch, definition);
    const cwd = definition.cwd ?? this.root;
    return new vscode.Task(
      task.definition,
      task.scope ?? vscode.TaskScope.Workspace,
      task.name || taskLabel(definition),
      TASK_TYPE,
      new vscode.ProcessExecution(run.command, run.args, cwd ? { cwd } : {}),
      task.problemMatchers.length > 0 ? task.problemMatchers : [PROBLEM_MATCHER],
    );
  }

  /** Starts the server when `.git` or `.teamlore` appears in a folder that had neither. */
  private watchForRepository(): vscode.Disposable {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return new vscode.Disposable(() => {});
    const watcher = vscode.workspace.createFileSystemWatcher(
      new vscode.RelativePattern(folder, `{${ROOT_MARKERS.join(",")}}`),
      false,
      true,
      true,
    );
    watcher.onDidCreate(() => {
      if (this.root === undefined) void this.start();
    });
    return watcher;
  }

  private ui(): Ui {
    return {
      input: async (o) => vscode.window.showInputBox({ ...o, ignoreFocusOut: true }),
      pick: async (items, o) => (await vscode.window.showQuickPick(items, o))?.value,
      showMarkdown: async (title, markdown) => {
        const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: `# ${title}\n\n${markdown}\n` });
        await vscode.commands.executeCommand("markdown.showPreview", doc.uri);
      },
      info: (message) => void vscode.window.showInformationMessage(message),
      error: (message) => {
        this.output.error(message);
        void vscode.window.showErrorMessage(message);
      },
    };
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.stat(file);
    return true;
  } catch {
    return false;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    if (process.platform === "win32") return true;
    await fs.access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
