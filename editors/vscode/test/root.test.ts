import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { findRepositoryRoot, MAX_LEVELS } from "../src/core/root";

function fs(...present: string[]) {
  const set = new Set(present);
  const looked: string[] = [];
  return {
    looked,
    exists: async (file: string) => {
      looked.push(file);
      return set.has(file);
    },
  };
}

describe("findRepositoryRoot", () => {
  it("takes the folder itself when it is a repository", async () => {
    expect(await findRepositoryRoot("/src/repo", fs("/src/repo/.git").exists)).toBe("/src/repo");
  });

  it("finds the repository above an opened subfolder", async () => {
    const probe = fs("/src/repo/.git");
    expect(await findRepositoryRoot("/src/repo/services/api", probe.exists)).toBe("/src/repo");
    expect(probe.looked[0]).toBe("/src/repo/services/api/.git");
  });

  it("a .teamlore memory counts as a root too, the nearest one wins", async () => {
    const probe = fs("/src/repo/.git", "/src/repo/tools/.teamlore");
    expect(await findRepositoryRoot("/src/repo/tools/lint", probe.exists)).toBe("/src/repo/tools");
  });

  it("gives up at the file system root, and after MAX_LEVELS folders", async () => {
    expect(await findRepositoryRoot("/home/ana/notes", fs().exists)).toBeUndefined();
    const deep = "/" + Array.from({ length: MAX_LEVELS + 5 }, (_, i) => `d${i}`).join("/");
    const probe = fs("/.git");
    expect(await findRepositoryRoot(deep, probe.exists)).toBeUndefined();
    expect(probe.looked.length).toBe(MAX_LEVELS * 2);
  });

  it("works with Windows paths", async () => {
    const probe = fs("C:\\src\\repo\\.teamlore");
    expect(await findRepositoryRoot("C:\\src\\repo\\pkg", probe.exists, path.win32)).toBe("C:\\src\\repo");
  });
});
