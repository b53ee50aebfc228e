import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readSettings, serverSettings } from "../src/core/settings";
import {
  checkLaunch,
  initializationOptions,
  PROGRAM_SETTINGS,
  RESTRICTED_SETTINGS,
  restrictSettings,
  userValue,
  WorkspaceTrust,
} from "../src/core/trust";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const props = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;

const configured = serverSettings(
  readSettings((k) => ({ redisUrl: "redis://team:6379/0", scannersOnSave: ["bandit", "semgrep"], debtHints: true })[k]),
);

describe("initializationOptions", () => {
  it("in a trusted workspace sends the settings as they are, with restrictedMode false", () => {
    const options = initializationOptions(configured, true);
    expect(options.restrictedMode).toBe(false);
    expect(options.redisUrl).toBe("redis://team:6379/0");
    expect(options.scannersOnSave).toEqual(["bandit", "semgrep"]);
  });

  it("in Restricted Mode sends restrictedMode true, no sync URL and no scanners", () => {
    const options = initializationOptions(configured, false);
    expect(options.restrictedMode).toBe(true);
    expect(options).not.toHaveProperty("redisUrl");
    expect(options.scannersOnSave).toEqual([]);
    expect(options.debtHints).toBe(true);
  });

  it("restricts workspace/didChangeConfiguration settings the same way, without changing the input", () => {
    const restricted = restrictSettings(configured, false);
    expect(restricted).not.toHaveProperty("redisUrl");
    expect(restricted.scannersOnSave).toEqual([]);
    expect(configured.redisUrl).toBe("redis://team:6379/0");
    expect(restrictSettings(configured, true)).toEqual(configured);
  });
});

describe("WorkspaceTrust", () => {
  it("restarts the server once when the user grants trust", async () => {
    let restarts = 0;
    const trust = new WorkspaceTrust(false, async () => {
      restarts += 1;
    });
    expect(trust.trusted).toBe(false);
    await trust.granted();
    expect(trust.trusted).toBe(true);
    expect(restarts).toBe(1);
    await trust.granted();
    expect(restarts).toBe(1);
  });

  it("does not restart a server that already runs trusted", async () => {
    let restarts = 0;
    const trust = new WorkspaceTrust(true, async () => {
      restarts += 1;
    });
    await trust.granted();
    expect(restarts).toBe(0);
  });

  it("builds the restarted server's options without the restriction", async () => {
    const trust = new WorkspaceTrust(false, async () => {});
    expect(initializationOptions(configured, trust.trusted).restrictedMode).toBe(true);
    await trust.granted();
    expect(initializationOptions(configured, trust.trusted).restrictedMode).toBe(false);
  });
});

describe("checkLaunch", () => {
  it("refuses a program inside an untrusted workspace", async () => {
    const check = await checkLaunch("/ws/.venv/bin/teamlore", "/ws", false, undefined, "linux");
    expect(check.allowed).toBe(false);
    expect(check.reason).toContain("/ws/.venv/bin/teamlore");
    expect(check.reason).toContain("not trusted");
  });

  it("allows a program outside the workspace, even next to it by name", async () => {
    expect((await checkLaunch("/usr/bin/teamlore", "/ws", false, undefined, "linux")).allowed).toBe(true);
    expect((await checkLaunch("/ws-tools/teamlore", "/ws", false, undefined, "linux")).allowed).toBe(true);
  });

  it("refuses a link outside the workspace that resolves into it", async () => {
    const links: Record<string, string> = { "/home/ana/bin/teamlore": "/ws/tools/teamlore" };
    const realpath = async (f: string) => links[f] ?? f;
    const check = await checkLaunch("/home/ana/bin/teamlore", "/ws", false, realpath, "linux");
    expect(check.allowed).toBe(false);
  });

  it("compares with the workspace folder's own links resolved", async () => {
    const links: Record<string, string> = { "/link/ws": "/real/ws", "/real/ws/.venv/bin/teamlore": "/real/ws/.venv/bin/teamlore" };
    const realpath = async (f: string) => links[f] ?? f;
    expect((await checkLaunch("/real/ws/.venv/bin/teamlore", "/link/ws", false, realpath, "linux")).allowed).toBe(false);
  });

  it("allows the workspace's own program once the workspace is trusted", async () => {
    expect((await checkLaunch("/ws/.venv/bin/teamlore", "/ws", true, undefined, "linux")).allowed).toBe(true);
  });

  it("recognises Windows paths inside the folder, whatever their case", async () => {
    const check = await checkLaunch("C:\\proj\\.venv\\Scripts\\teamlore.exe", "C:\\proj", false, undefined, "win32");
    expect(check.allowed).toBe(false);
    const upper = await checkLaunch("c:\\PROJ\\tools\\teamlore.exe", "C:\\proj", false, undefined, "win32");
    expect(upper.allowed).toBe(false);
    expect((await checkLaunch("D:\\tools\\teamlore.exe", "C:\\proj", false, undefined, "win32")).allowed).toBe(true);
  });
});

describe("userValue", () => {
  it("takes the user's value and never the workspace's", () => {
    expect(userValue({ globalValue: "/usr/bin/python3", defaultValue: "python" })).toBe("/usr/bin/python3");
    const fromRepository = { defaultValue: "python", workspaceValue: "./evil/python", workspaceFolderValue: "./evil/python" };
    expect(userValue(fromRepository)).toBe("python");
    expect(userValue(undefined)).toBeUndefined();
  });
});

describe("package.json and workspace trust", () => {
  it("declares limited support in untrusted workspaces", () => {
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    expect(untrusted.supported).toBe("limited");
    expect(typeof untrusted.description).toBe("string");
    expect(untrusted.description.length).toBeGreaterThan(20);
  });

  it("restricts the server path, sync, scanner and store settings, all of them real settings", () => {
    const restricted = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations as string[];
    expect([...restricted].sort()).toEqual(RESTRICTED_SETTINGS.map((k) => `teamlore.${k}`).sort());
    for (const name of ["teamlore.serverPath", "teamlore.redisUrl", "teamlore.scannersOnSave"]) {
      expect(restricted).toContain(name);
    }
    for (const name of restricted) expect(props).toHaveProperty([name]);
  });

  it("lets only the user's settings name the program to start or the sync server", () => {
    for (const key of PROGRAM_SETTINGS) expect(props[`teamlore.${key}`].scope).toBe("machine");
    expect(props["teamlore.serverPath"].scope).toBe("machine");
    expect(props["teamlore.redisUrl"].scope).toBe("machine");
  });
});
