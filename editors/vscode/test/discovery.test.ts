import { describe, expect, it } from "vitest";
import { type DiscoveryInputs, discoverServer } from "../src/core/discovery";

/** A file system holding exactly these executables. */
function probe(...executables: string[]) {
  const set = new Set(executables);
  return { isExecutable: async (file: string) => set.has(file) };
}

const base: DiscoveryInputs = {
  platform: "linux",
  workspaceFolder: "/ws",
  home: "/home/ana",
  interpreter: "/ws/.venv/bin/python",
  pathEnv: "/usr/local/bin:/usr/bin",
};

describe("discoverServer", () => {
  it("prefers the serverPath setting over the interpreter and PATH", async () => {
    const r = await discoverServer(
      { ...base, serverPath: "/opt/tl/teamlore" },
      probe("/opt/tl/teamlore", "/ws/.venv/bin/teamlore", "/usr/bin/teamlore"),
    );
    expect(r.launch).toEqual({ command: "/opt/tl/teamlore", args: ["lsp"], origin: "setting" });
  });

  it("expands ~ and ${workspaceFolder} in the setting", async () => {
    const home = await discoverServer({ ...base, serverPath: "~/bin/teamlore" }, probe("/home/ana/bin/teamlore"));
    expect(home.launch?.command).toBe("/home/ana/bin/teamlore");
    const ws = await discoverServer(
      { ...base, serverPath: "${workspaceFolder}/.venv/bin/teamlore" },
      probe("/ws/.venv/bin/teamlore"),
    );
    expect(ws.launch?.command).toBe("/ws/.venv/bin/teamlore");
  });

  it("looks a bare command name in the setting up on the PATH", async () => {
    const r = await discoverServer({ ...base, serverPath: "teamlore-dev" }, probe("/usr/bin/teamlore-dev"));
    expect(r.launch).toEqual({ command: "/usr/bin/teamlore-dev", args: ["lsp"], origin: "setting" });
  });

  it("reports a setting that points at nothing instead of silently falling back", async () => {
    const r = await discoverServer({ ...base, serverPath: "/nope/teamlore" }, probe("/usr/bin/teamlore"));
    expect(r.launch).toBeUndefined();
    expect(r.error).toContain("/nope/teamlore");
  });

  it("uses the selected interpreter's environment before the PATH", async () => {
    const r = await discoverServer(base, probe("/ws/.venv/bin/teamlore", "/usr/bin/teamlore"));
    expect(r.launch).toEqual({ command: "/ws/.venv/bin/teamlore", args: ["lsp"], origin: "interpreter" });
  });

  it("accepts an environment folder as the interpreter", async () => {
    const r = await discoverServer({ ...base, interpreter: "/envs/tl" }, probe("/envs/tl/bin/teamlore"));
    expect(r.launch?.origin).toBe("interpreter");
    expect(r.launch?.command).toBe("/envs/tl/bin/teamlore");
  });

  it("falls back to the PATH, in PATH order", async () => {
    const r = await discoverServer(base, probe("/usr/bin/teamlore", "/usr/local/bin/teamlore"));
    expect(r.launch).toEqual({ command: "/usr/local/bin/teamlore", args: ["lsp"], origin: "PATH" });
  });

  it("skips relative PATH entries, which would name a folder of the repository", async () => {
    const r = await discoverServer(
      { ...base, interpreter: undefined, pathEnv: ".:bin:/usr/bin" },
      probe(".", "teamlore", "bin/teamlore", "/usr/bin/teamlore"),
    );
    expect(r.launch).toEqual({ command: "/usr/bin/teamlore", args: ["lsp"], origin: "PATH" });
    expect(r.tried).toEqual(["/usr/bin/teamlore"]);
  });

  it("skips a refused program (untrusted workspace) and goes on to the PATH", async () => {
    const refuse = async (file: string) => (file.startsWith("/ws/") ? `refused ${file}` : undefined);
    const r = await discoverServer(base, { ...probe("/ws/.venv/bin/teamlore", "/usr/bin/teamlore"), refuse });
    expect(r.launch).toEqual({ command: "/usr/bin/teamlore", args: ["lsp"], origin: "PATH" });
    expect(r.refused).toBeUndefined();
  });

  it("reports a refusal when the only program found was refused", async () => {
    const refuse = async (file: string) => (file.startsWith("/ws/") ? `refused ${file}` : undefined);
    const r = await discoverServer(base, { ...probe("/ws/.venv/bin/teamlore"), refuse });
    expect(r.launch).toBeUndefined();
    expect(r.refused).toBe(true);
    expect(r.error).toBe("refused /ws/.venv/bin/teamlore");
  });

  it("does not fall back from a refused serverPath", async () => {
    const refuse = async (file: string) => (file.startsWith("/ws/") ? `refused ${file}` : undefined);
    const r = await discoverServer(
      { ...base, serverPath: "${workspaceFolder}/tools/teamlore" },
      { ...probe("/ws/tools/teamlore", "/usr/bin/teamlore"), refuse },
    );
    expect(r.launch).toBeUndefined();
    expect(r.refused).toBe(true);
    expect(r.error).toBe("refused /ws/tools/teamlore");
  });

  it("lists everything it tried when nothing is found", async () => {
    const r = await discoverServer(base, probe());
    expect(r.launch).toBeUndefined();
    expect(r.error).toBeUndefined();
    expect(r.tried).toEqual([
      "/ws/.venv/bin/teamlore",
      "/ws/.venv/bin/python/bin/teamlore",
      "/usr/local/bin/teamlore",
      "/usr/bin/teamlore",
    ]);
  });

  it("finds Scripts\\teamlore.exe on Windows", async () => {
    const r = await discoverServer(
      {
        platform: "win32",
        interpreter: "C:\\proj\\.venv\\Scripts\\python.exe",
        pathEnv: "C:\\Windows",
      },
      probe("C:\\proj\\.venv\\Scripts\\teamlore.exe"),
    );
    expect(r.launch?.command).toBe("C:\\proj\\.venv\\Scripts\\teamlore.exe");
  });
});
