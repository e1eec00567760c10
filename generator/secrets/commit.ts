// Writing planned changes: one transaction (all files or none), then `git add -N` of new files.

import { execFileSync } from "node:child_process";
import { basename, dirname, join } from "node:path";
import { applyAtomically } from "../write/atomic.js";
import type { FileChange } from "./node-files.js";

/** Write all changes in one transaction, then `git add -N` new files so the flake sees them. */
export async function applyChanges(root: string, changes: FileChange[]): Promise<void> {
  const write = new Map<string, { content: string; executable: boolean }>();
  const remove: string[] = [];
  for (const c of changes) {
    if (c.content === null) remove.push(c.path);
    else write.set(c.path, { content: c.content, executable: false });
  }
  if (write.size === 0 && remove.length === 0) return;
  await applyAtomically(root, { write, remove });
  intentToAdd(
    root,
    changes.filter((c) => c.created && c.content !== null).map((c) => c.path),
  );
}

/** Nixverse's `git add --intent-to-add --force` (private/ may be its own repository). */
function intentToAdd(root: string, rels: string[]): void {
  for (const rel of rels) {
    const abs = join(root, rel);
    try {
      execFileSync("git", ["-C", dirname(abs), "rev-parse", "--is-inside-work-tree"], {
        stdio: "ignore",
      });
      execFileSync(
        "git",
        ["-C", dirname(abs), "add", "--intent-to-add", "--force", basename(abs)],
        { stdio: "ignore" },
      );
    } catch {
      // not in a git work tree, or git missing: nothing to do
    }
  }
}
