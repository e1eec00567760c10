// All generated files are written, or none: new contents are staged in a temp dir on the same
// file system, then renamed into place; any failure renames the old files back.

import { chmod, mkdir, mkdtemp, readdir, rename, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { GeneratedFile } from "../render/generated.js";

export interface Transaction {
  write: Map<string, GeneratedFile>;
  remove: string[];
}

export async function applyAtomically(root: string, tx: Transaction): Promise<void> {
  const tmp = await mkdtemp(path.join(root, ".nixverse-gen-"));
  const done: { target: string; backup: string | null }[] = [];
  try {
    const staged = new Map<string, string>();
    let i = 0;
    for (const [rel, f] of tx.write) {
      const s = path.join(tmp, `new-${i++}`);
      await writeFile(s, f.content);
      await chmod(s, f.executable ? 0o755 : 0o644);
      staged.set(rel, s);
    }
    for (const [rel, s] of staged) {
      const target = path.join(root, rel);
      await mkdir(path.dirname(target), { recursive: true });
      const backup = path.join(tmp, `old-${done.length}`);
      const had = await moveIfExists(target, backup);
      done.push({ target, backup: had ? backup : null });
      await rename(s, target);
    }
    for (const rel of tx.remove) {
      const target = path.join(root, rel);
      const backup = path.join(tmp, `old-${done.length}`);
      if (await moveIfExists(target, backup)) done.push({ target, backup });
    }
  } catch (e) {
    for (const { target, backup } of done.reverse()) {
      await rm(target, { force: true });
      if (backup) await rename(backup, target);
    }
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  for (const rel of tx.remove) await pruneEmptyDirs(root, path.dirname(rel));
}

async function moveIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

async function pruneEmptyDirs(root: string, rel: string): Promise<void> {
  while (rel && rel !== ".") {
    const full = path.join(root, rel);
    try {
      if ((await readdir(full)).length) return;
      await rmdir(full);
    } catch {
      return;
    }
    rel = path.dirname(rel);
  }
}
