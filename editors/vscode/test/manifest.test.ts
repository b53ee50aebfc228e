/** package.json as VS Code reads it: what users see in the palette, menus, settings UI,
 * walkthrough and task list, and what it promises about activation, trust and links. */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ServerCommands } from "../src/core/protocol";
import { ROOT_MARKERS } from "../src/core/root";
import { PROBLEM_MATCHER, TASK_TYPE } from "../src/core/tasks";
import { SERVER_STEPS, WALKTHROUGH } from "../src/core/walkthrough";

const file = (name: string): URL => new URL(`../${name}`, import.meta.url);
const pkg = JSON.parse(readFileSync(file("package.json"), "utf8"));
const extensionSource = readFileSync(file("src/extension.ts"), "utf8");

interface Command {
  command: string;
  title: string;
  category?: string;
  enablement?: string;
}
const commands = pkg.contributes.commands as Command[];
const contributed = new Set(commands.map((c) => c.command));

/** Commands the extension registers itself (the others come from the server's executeCommandProvider). */
const registered = new Set([...extensionSource.matchAll(/registerCommand\(\s*"([^"]+)"/g)].map((m) => m[1]));

describe("commands", () => {
  it("every contributed command is registered by the extension or offered by the server", () => {
    const server = new Set<string>(Object.values(ServerCommands));
    for (const c of commands) expect(registered.has(c.command) || server.has(c.command), c.command).toBe(true);
    for (const c of registered) expect(contributed.has(c), c).toBe(true);
  });

  it("palette titles sit under the teamlore category, without Menu or duplicates", () => {
    for (const c of commands) {
      expect(c.category).toBe("teamlore");
      expect(c.title).not.toMatch(/menu/i);
      expect(c.title).not.toMatch(/^teamlore/i);
    }
    expect(new Set(commands.map((c) => c.title)).size).toBe(commands.length);
    expect(contributed.has(ServerCommands.acceptFix) || contributed.has(ServerCommands.dismissFix)).toBe(false);
    expect(contributed.has(ServerCommands.pendingFixes)).toBe(true);
  });

  it("the status bar's action list is reachable from the status bar only", () => {
    const palette = pkg.contributes.menus.commandPalette as { command: string; when: string }[];
    expect(palette).toContainEqual({ command: "teamlore.menu", when: "false" });
    expect(extensionSource).toContain('this.statusItem.command = "teamlore.menu"');
  });

  it("editor context menu and keybindings cover the main commands, shown only while the server runs", () => {
    const context = pkg.contributes.menus["editor/context"] as { command: string; when: string; group: string }[];
    const keys = pkg.contributes.keybindings as { command: string; key: string; when: string }[];
    const main = [ServerCommands.recordFix, ServerCommands.showMatches, ServerCommands.markFalsePositive];
    for (const command of main) {
      expect(context.map((e) => e.command)).toContain(command);
      expect(keys.map((k) => k.command)).toContain(command);
    }
    for (const entry of [...context, ...keys]) {
      expect(contributed.has(entry.command), entry.command).toBe(true);
      expect(entry.when).toContain("teamlore.running");
    }
    for (const entry of context) expect(entry.group).toMatch(/^teamlore@\d+$/);
    expect(new Set(keys.map((k) => k.key)).size).toBe(keys.length);
  });
});

describe("activation", () => {
  it("activates after start-up in any folder (the repository root is searched upward), not only on .git", () => {
    expect(pkg.activationEvents).toContain("onStartupFinished");
    expect(ROOT_MARKERS).toEqual([".git", ".teamlore"]);
    expect(extensionSource).toMatch(/findRepositoryRoot\(folder, exists\)/);
    expect(extensionSource).toMatch(/workspaceFolder: \{ uri: rootUri/);
  });
});

describe("workspace trust", () => {
  it("declares limited support and restricts the settings that start or connect something", () => {
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    expect(untrusted.supported).toBe("limited");
    expect(untrusted.description).toMatch(/Restricted Mode/);
    expect(untrusted.restrictedConfigurations).toEqual(
      expect.arrayContaining(["teamlore.serverPath", "teamlore.redisUrl", "teamlore.scannersOnSave"]),
    );
  });
});

describe("links and package contents", () => {
  it("has no placeholder links: every url in the manifest is a real https url", () => {
    const urls = JSON.stringify(pkg).match(/\bhttps?:\/\/[^"\s)`]+/gi) ?? [];
    expect(JSON.stringify(pkg)).not.toMatch(/example\.invalid/);
    for (const url of urls) {
      expect(url).toMatch(/^https:\/\//);
      expect(url).not.toMatch(/example\.(invalid|com|org)|localhost/);
    }
    if (pkg.repository !== undefined) expect(JSON.stringify(pkg.repository)).toMatch(/https:\/\//);
    expect(pkg.scripts.package).toContain("--allow-missing-repository");
  });

  it("ships an icon (a 128x128 PNG), a CHANGELOG and the README", () => {
    const icon = readFileSync(file(pkg.icon));
    expect(icon.subarray(1, 4).toString("latin1")).toBe("PNG");
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([128, 128]);
    expect(readFileSync(file("CHANGELOG.md"), "utf8")).toMatch(new RegExp(`^## ${pkg.version.replace(/\./g, "\\.")}$`, "m"));
    expect(existsSync(file("README.md"))).toBe(true);
  });

  it("packages a minified bundle without a source map", () => {
    expect(pkg.scripts["vscode:prepublish"]).toBe("npm run bundle");
    expect(pkg.scripts.bundle).toContain("--minify");
    expect(pkg.scripts.bundle).not.toContain("sourcemap");
    const ignore = readFileSync(file(".vscodeignore"), "utf8").split("\n");
    expect(ignore).toContain("**/*.map");
    expect(ignore.some((l) => l.startsWith("!"))).toBe(false);
  });
});

describe("settings UI", () => {
  it("every enum setting describes each of its values", () => {
    const props = pkg.contributes.configuration.properties as Record<string, Record<string, unknown>>;
    let enums = 0;
    for (const [name, prop] of Object.entries(props)) {
      for (const schema of [prop, prop.items as Record<string, unknown> | undefined]) {
        if (!schema || !Array.isArray(schema.enum)) continue;
        enums += 1;
        const described = schema.enumDescriptions as string[] | undefined;
        expect(described, name).toBeDefined();
        expect(described?.length, name).toBe(schema.enum.length);
        for (const d of described ?? []) expect(d.trim(), name).not.toBe("");
      }
    }
    expect(enums).toBe(3);
  });
});

describe("walkthrough", () => {
  const [walkthrough] = pkg.contributes.walkthroughs as {
    id: string;
    title: string;
    steps: { id: string; title: string; description: string; media: { markdown: string }; completionEvents: string[] }[];
  }[];

  it("goes from installing the server to the hover showing a past fix", () => {
    expect(walkthrough.steps.map((s) => s.id)).toEqual(["install", "open", "capture", "record", "hover"]);
    expect(walkthrough.steps.at(-1)?.title).toMatch(/[Hh]over shows the past fix/);
    expect(WALKTHROUGH).toBe(`${pkg.publisher}.${pkg.name}#${walkthrough.id}`);
  });

  it("the steps the extension ticks once the server runs are the ones completed by it running", () => {
    const byId = new Map(walkthrough.steps.map((s) => [s.id, s]));
    for (const step of SERVER_STEPS) expect(byId.get(step)?.completionEvents, step).toEqual(["onContext:teamlore.running"]);
    const others = walkthrough.steps.filter((s) => s.completionEvents.includes("onContext:teamlore.running"));
    expect(others.map((s) => s.id)).toEqual([...SERVER_STEPS]);
    expect(extensionSource).toContain('executeCommand("setContext", "teamlore.running", running)');
  });

  it("each step has its page and links only to commands that exist", () => {
    const workbench = new Set(["workbench.action.openSettings", "workbench.action.terminal.new"]);
    for (const step of walkthrough.steps) {
      expect(existsSync(file(step.media.markdown)), step.media.markdown).toBe(true);
      expect(step.completionEvents.length).toBeGreaterThan(0);
      expect(step.description, "walkthrough descriptions show backticks literally").not.toContain("`");
      const links = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      expect(links.length, step.id).toBeGreaterThan(0);
      for (const c of links) expect(contributed.has(c) || workbench.has(c), c).toBe(true);
    }
  });
});

describe("task and problem matcher", () => {
  const [definition] = pkg.contributes.taskDefinitions as { type: string; required: string[] }[];
  const [matcher] = pkg.contributes.problemMatchers as {
    name: string;
    pattern: { regexp: string; message: number; file: number; line: number };
  }[];

  it("declares the teamlore task type the extension resolves, with the $teamlore matcher", () => {
    expect(definition.type).toBe(TASK_TYPE);
    expect(definition.required).toEqual(["command"]);
    expect(`$${matcher.name}`).toBe(PROBLEM_MATCHER);
    expect(extensionSource).toContain("registerTaskProvider(TASK_TYPE");
  });

  it("the matcher reads the error, file and line of `teamlore run --notify` and nothing else", () => {
    const re = new RegExp(matcher.pattern.regexp);
    const m = re.exec("teamlore: captured KeyError: 'HOME' (src/my app.py:41)");
    expect(m?.[matcher.pattern.message]).toBe("KeyError: 'HOME'");
    expect(m?.[matcher.pattern.file]).toBe("src/my app.py");
    expect(m?.[matcher.pattern.line]).toBe("41");
    expect(re.test("KeyError: 'HOME'")).toBe(false);
    expect(re.test("teamlore: 1 error went away; fix proposal waiting: teamlore bugs pending")).toBe(false);
  });
});
