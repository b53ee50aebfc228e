import { describe, expect, it } from "vitest";
import { parseTaskDefinition, taskLabel, taskProcess } from "../src/core/tasks";

describe("teamlore tasks", () => {
  it("runs the command through `teamlore run --notify --` with the server's own program", () => {
    const def = parseTaskDefinition({ type: "teamlore", command: ["pytest", "-x", "tests/a b.py"] });
    expect(def).toEqual({ type: "teamlore", command: ["pytest", "-x", "tests/a b.py"] });
    expect(taskProcess({ command: "/venv/bin/teamlore", args: ["lsp"] }, def!)).toEqual({
      command: "/venv/bin/teamlore",
      args: ["run", "--notify", "--", "pytest", "-x", "tests/a b.py"],
    });
    expect(taskProcess({ command: "/usr/bin/python3", args: ["-m", "server.cli.main", "lsp"] }, def!).args).toEqual([
      "-m",
      "server.cli.main",
      "run",
      "--notify",
      "--",
      "pytest",
      "-x",
      "tests/a b.py",
    ]);
    expect(taskLabel(def!)).toBe("teamlore run pytest -x tests/a b.py");
  });

  it("keeps cwd and refuses definitions without a usable command", () => {
    expect(parseTaskDefinition({ type: "teamlore", command: ["make"], cwd: "sub" })?.cwd).toBe("sub");
    for (const bad of [null, {}, { type: "shell", command: ["x"] }, { type: "teamlore", command: [] },
      { type: "teamlore", command: "make test" }, { type: "teamlore", command: ["make", 1] }, { type: "teamlore", command: [""] }]) {
      expect(parseTaskDefinition(bad)).toBeUndefined();
    }
  });
});
