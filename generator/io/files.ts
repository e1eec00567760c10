// Small file-system and git helpers shared by the I/O edges (gen, init, hook).

import { readFile } from "node:fs/promises";

/** The file's text, or null when it does not exist (other errors still throw). */
export async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT") return null;
    // A read of a directory fails in read(), which names no path: say which one.
    err.path ??= file;
    throw e;
  }
}

/**
 * Flakes in git only see tracked files, so new files are `git add -N`'d (as Nixverse does for the
 * files it creates). Outside a git work tree this does nothing.
 */
export async function intentToAdd(root: string, rels: string[]): Promise<void> {
  if (!rels.length) return;
  // Loaded here, not at startup: `gen --check` (the pre-commit path) never runs git.
  const { execa } = await import("execa");
  const inside = await execa("git", ["rev-parse", "--is-inside-work-tree"], {
    cwd: root,
    reject: false,
  });
  if (inside.exitCode !== 0 || inside.stdout.trim() !== "true") return;
  await execa("git", ["add", "--intent-to-add", "--", ...rels], { cwd: root, reject: false });
}
