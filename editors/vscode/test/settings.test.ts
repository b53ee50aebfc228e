import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ServerCommands } from "../src/core/protocol";
import { needsRestart, readSettings, SETTING_DEFAULTS, serverSection, serverSettings } from "../src/core/settings";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

describe("settings", () => {
  it("package.json contributes exactly the settings the code reads, with the same defaults", () => {
    const props = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;
    expect(Object.keys(props).sort()).toEqual(Object.keys(SETTING_DEFAULTS).map((k) => `teamlore.${k}`).sort());
    for (const [key, value] of Object.entries(SETTING_DEFAULTS)) expect(props[`teamlore.${key}`].default).toEqual(value);
  });

  it("defaults work with nothing set and send the server only what is set", () => {
    const s = readSettings(() => undefined);
    expect(s.serverPath).toBe("");
    expect(serverSettings(s)).toEqual({ scannersOnSave: ["bandit"], debtHints: false, showSuppressed: false, logLevel: "info" });
  });

  it("passes server settings through and keeps client-only ones out", () => {
    const values: Record<string, unknown> = {
      serverPath: "/x/teamlore",
      matchThreshold: 0.7,
      redisUrl: "redis://localhost:6399/0",
      "trace.server": "verbose",
    };
    const s = readSettings((k) => values[k]);
    expect(s.trace).toBe("verbose");
    const sent = serverSettings(s);
    expect(sent.matchThreshold).toBe(0.7);
    expect(sent.redisUrl).toBe("redis://localhost:6399/0");
    expect(sent).not.toHaveProperty("serverPath");
    expect(sent).not.toHaveProperty("trace");
  });

  it("falls back to the default on a bad value and names the setting", () => {
    const warnings: string[] = [];
    const s = readSettings((k) => ({ matchThreshold: 7, scannersOnSave: "bandit" })[k], (m) => warnings.push(m));
    expect(s.matchThreshold).toBeNull();
    expect(s.scannersOnSave).toEqual(["bandit"]);
    expect(warnings.join("\n")).toContain("teamlore.matchThreshold");
    expect(warnings.join("\n")).toContain("teamlore.scannersOnSave");
  });

  it("answers the server's workspace/configuration without client-only or unset keys", () => {
    const section = { serverPath: "/x", trace: { server: "off" }, matchThreshold: null, redisUrl: "", debtHints: true };
    expect(serverSection(section)).toEqual({ debtHints: true });
  });

  it("only a new serverPath needs a restart", () => {
    const a = readSettings(() => undefined);
    expect(needsRestart(a, { ...a, debtHints: true })).toBe(false);
    expect(needsRestart(a, { ...a, serverPath: "/y" })).toBe(true);
  });
});

describe("package.json", () => {
  it("offers a palette command for every server command a user starts (status feeds the status bar; accept and dismiss are steps of Review proposed fixes)", () => {
    const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command);
    const inside = new Set<string>([ServerCommands.status, ServerCommands.acceptFix, ServerCommands.dismissFix]);
    for (const command of Object.values(ServerCommands)) {
      if (inside.has(command)) expect(contributed).not.toContain(command);
      else expect(contributed).toContain(command);
    }
    for (const command of ["teamlore.restartServer", "teamlore.showOutput", "teamlore.menu"]) {
      expect(contributed).toContain(command);
    }
  });

  it("keeps @types/vscode within engines.vscode (vsce refuses otherwise)", () => {
    const types = pkg.devDependencies["@types/vscode"] as string;
    const engine = (pkg.engines.vscode as string).replace(/^\^/, "");
    expect(types.split(".").slice(0, 2)).toEqual(engine.split(".").slice(0, 2));
  });
});
