/**
 * The repository a workspace folder belongs to. VS Code activates the extension once
 * start-up has finished, whichever folder was opened; the server runs only when the
 * folder, or a folder above it, is a git repository (`.git`) or holds a teamlore memory
 * (`.teamlore/`). Opening `repo/services/api` then uses `repo/.teamlore`.
 */
import * as path from "node:path";

export const ROOT_MARKERS: readonly string[] = [".git", ".teamlore"];

/** At most this many folders are looked at, the folder itself included (a cheap search). */
export const MAX_LEVELS = 64;

/**
 * The nearest of `folder` and its parents holding one of `ROOT_MARKERS`, else undefined.
 * `exists` checks one path (a `stat` that does not throw).
 */
export async function findRepositoryRoot(
  folder: string,
  exists: (file: string) => Promise<boolean>,
  pathApi: Pick<typeof path, "dirname" | "join"> = path,
): Promise<string | undefined> {
  let current = folder;
  for (let level = 0; level < MAX_LEVELS; level += 1) {
    for (const marker of ROOT_MARKERS) {
      if (await exists(pathApi.join(current, marker))) return current;
    }
    const parent = pathApi.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
  return undefined;
}
