// All files of a transaction are written, or none, and a crash cannot break that.
//
// A transaction lives in `<root>/.nixverse-gen-<pid>-XXXXXX/` (same file system, so renames are
// atomic): the new contents are staged there, every old file is hard-linked there as a backup
// (the target itself stays in place), then `journal.json` is written and synced. That write is the
// commit point: before it no target has been touched, after it the journal says how to finish.
// Each new file is then renamed over its target, and the journal is removed before the directory.
//
// Every command starts with recoverInterrupted(): a directory without a journal is discarded
// (nothing was touched, or everything was already done), one with a journal is rolled forward
// (state "commit") or back (state "rollback", written when a rename failed in-process). Both are
// idempotent, so a crash during recovery is recovered by the next run too.

import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import {
  copyFile,
  link,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  rmdir,
  unlink,
} from "node:fs/promises";
import path from "node:path";
import type { GeneratedFile } from "../render/generated.js";

export interface Transaction {
  write: Map<string, GeneratedFile>;
  remove: string[];
}

export const TX_PREFIX = ".nixverse-gen-";
const JOURNAL = "journal.json";

interface JournalEntry {
  /** Relative to the root, "/"-separated. */
  target: string;
  /** Staged file in the tx dir, or null to remove the target. */
  new: string | null;
  /** Hard link of the old file in the tx dir, or null when there was none. */
  old: string | null;
}

interface Journal {
  version: 1;
  state: "commit" | "rollback";
  entries: JournalEntry[];
}

/** A target that would land outside the flake root (a `..` name, a symlinked directory). */
export class UnsafeTargetError extends Error {
  constructor(
    readonly target: string,
    readonly resolved: string,
  ) {
    super(`refusing to write ${target}: it resolves to ${resolved}, outside the flake`);
    this.name = "UnsafeTargetError";
  }
}

/**
 * Test hooks: NIXVERSE_GEN_TEST_CRASH_AT=<step> kills the process with SIGKILL right after that
 * step, NIXVERSE_GEN_TEST_SIGTERM_AT=<step> sends it SIGTERM there, NIXVERSE_GEN_TEST_FAIL_AT=<step>
 * makes it fail there as an I/O error would, so the tests
 * can check that a crash at every point of a commit (and of its rollback) is recovered.
 */
export const COMMIT_STEPS = (entries: number) => [
  "staged",
  "journal",
  ...Array.from({ length: entries }, (_, i) => `apply-${i}`),
  "done",
];

function step(name: string): void {
  if (process.env.NIXVERSE_GEN_TEST_CRASH_AT === name) process.kill(process.pid, "SIGKILL");
  // A signal the caller's handler sees while the commit is still running.
  if (process.env.NIXVERSE_GEN_TEST_SIGTERM_AT === name) process.kill(process.pid, "SIGTERM");
  if (process.env.NIXVERSE_GEN_TEST_FAIL_AT === name)
    throw new Error(`injected failure after step ${name}`);
}

export async function applyAtomically(root: string, tx: Transaction): Promise<void> {
  const targets = [...tx.write.keys(), ...tx.remove];
  await checkTargets(root, targets);
  const dir = await mkdtemp(path.join(root, `${TX_PREFIX}${process.pid}-`));
  const entries: JournalEntry[] = [];
  let journaled = false;
  let keep = false;
  try {
    let i = 0;
    for (const [rel, f] of tx.write) {
      const staged = `new-${i}`;
      await writeSynced(path.join(dir, staged), f.content, f.executable ? 0o755 : 0o644);
      entries.push({ target: rel, new: staged, old: await backUp(root, rel, dir, `old-${i++}`) });
    }
    for (const rel of tx.remove) {
      const old = await backUp(root, rel, dir, `old-${i++}`);
      if (old) entries.push({ target: rel, new: null, old });
    }
    step("staged");
    await writeJournal(dir, { version: 1, state: "commit", entries });
    journaled = true;
    step("journal");
    for (const [n, e] of entries.entries()) {
      await applyEntry(root, dir, e);
      step(`apply-${n}`);
    }
    await syncDirs(root, entries);
    await unlink(path.join(dir, JOURNAL));
    step("done");
  } catch (e) {
    if (journaled) {
      try {
        await writeJournal(dir, { version: 1, state: "rollback", entries });
        step("rollback");
        for (const entry of [...entries].reverse()) await undoEntry(root, dir, entry);
        await unlink(path.join(dir, JOURNAL));
      } catch {
        // The journal and the backups stay for the next run's recoverInterrupted().
        keep = true;
      }
    }
    throw e;
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
  for (const rel of tx.remove) await pruneEmptyDirs(root, path.dirname(rel));
}

export interface Recovery {
  /** The transaction directory, relative to the root. */
  dir: string;
  /** What happened to it: finished, undone, or (no journal) simply removed. */
  action: "rolled-forward" | "rolled-back" | "discarded" | "left-alone";
  files: string[];
}

/** Finishes or undoes every interrupted transaction under `root` whose process is gone. */
export async function recoverInterrupted(root: string): Promise<Recovery[]> {
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => n.startsWith(TX_PREFIX)).sort();
  } catch {
    return [];
  }
  const out: Recovery[] = [];
  for (const name of names) {
    const pid = Number(/^\.nixverse-gen-(\d+)-/.exec(name)?.[1]);
    if (pid && pid !== process.pid && alive(pid)) continue; // another run is committing
    const dir = path.join(root, name);
    if (!pid) {
      // Made by a version before the journal, which moved old files away: they may be in there.
      out.push({ dir: name, action: "left-alone", files: await readdir(dir).catch(() => []) });
      continue;
    }
    const journal = await readJournal(dir);
    if (!journal) {
      await rm(dir, { recursive: true, force: true });
      out.push({ dir: name, action: "discarded", files: [] });
      continue;
    }
    const { entries } = journal;
    await checkTargets(
      root,
      entries.map((e) => e.target),
    );
    if (journal.state === "commit") {
      for (const e of entries) await applyEntry(root, dir, e);
      await syncDirs(root, entries);
    } else {
      for (const e of [...entries].reverse()) await undoEntry(root, dir, e);
    }
    await unlink(path.join(dir, JOURNAL));
    await rm(dir, { recursive: true, force: true });
    if (journal.state === "commit") {
      for (const e of entries)
        if (e.new === null) await pruneEmptyDirs(root, path.dirname(e.target));
    }
    out.push({
      dir: name,
      action: journal.state === "commit" ? "rolled-forward" : "rolled-back",
      files: entries.map((e) => e.target),
    });
  }
  return out;
}

/** Applies one entry; a staged file already renamed away means it was applied before. */
async function applyEntry(root: string, dir: string, e: JournalEntry): Promise<void> {
  const target = path.join(root, e.target);
  if (e.new === null) {
    await rm(target, { force: true });
    return;
  }
  const staged = path.join(dir, e.new);
  if (!(await exists(staged))) return;
  await mkdir(path.dirname(target), { recursive: true });
  await rename(staged, target);
}

/** Puts the old file back (or removes a file the transaction created). */
async function undoEntry(root: string, dir: string, e: JournalEntry): Promise<void> {
  const target = path.join(root, e.target);
  if (e.old !== null) {
    const old = path.join(dir, e.old);
    if (await exists(old)) await rename(old, target);
  } else if (e.new !== null && !(await exists(path.join(dir, e.new)))) {
    await rm(target, { force: true });
  }
}

/** Hard-links the existing target into the tx dir; the target itself is never moved. */
async function backUp(
  root: string,
  rel: string,
  dir: string,
  name: string,
): Promise<string | null> {
  const target = path.join(root, rel);
  try {
    await lstat(target);
  } catch (e) {
    // ENOTDIR: a file where a parent directory belongs; the rename will say so, then roll back.
    if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code!)) return null;
    throw e;
  }
  try {
    await link(target, path.join(dir, name));
  } catch (e) {
    // A file system without hard links: a copy is as good a backup, only slower.
    if (!["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV"].includes((e as NodeJS.ErrnoException).code!))
      throw e;
    await copyFile(target, path.join(dir, name), constants.COPYFILE_EXCL);
  }
  return name;
}

/** Every target must stay inside the root, also through symbolic links of existing directories. */
async function checkTargets(root: string, rels: string[]): Promise<void> {
  const realRoot = await realpath(root);
  for (const rel of rels) {
    const lexical = path.resolve(root, rel);
    if (
      path.isAbsolute(rel) ||
      !inside(path.resolve(root), lexical) ||
      lexical === path.resolve(root)
    )
      throw new UnsafeTargetError(rel, lexical);
    // The nearest existing ancestor decides where mkdir and rename really land.
    let dir = path.dirname(lexical);
    for (;;) {
      try {
        const real = await realpath(dir);
        if (real !== realRoot && !inside(realRoot, real))
          throw new UnsafeTargetError(rel, path.join(real, path.relative(dir, lexical)));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        dir = path.dirname(dir);
      }
    }
  }
}

const inside = (parent: string, p: string) => p.startsWith(parent + path.sep);

async function writeSynced(file: string, content: string, mode: number): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, "wx", mode);
    await fh.writeFile(content);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh?.close();
  }
}

async function writeJournal(dir: string, journal: Journal): Promise<void> {
  const tmp = path.join(dir, `${JOURNAL}.tmp`);
  await rm(tmp, { force: true });
  await writeSynced(tmp, `${JSON.stringify(journal, null, 2)}\n`, 0o600);
  await rename(tmp, path.join(dir, JOURNAL));
  await syncDir(dir);
}

async function readJournal(dir: string): Promise<Journal | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, JOURNAL), "utf8");
  } catch {
    return null;
  }
  const j = JSON.parse(text) as Journal;
  const name = /^(new|old)-\d+$/;
  const okName = (n: string | null) => n === null || name.test(n);
  if (
    j.version !== 1 ||
    !["commit", "rollback"].includes(j.state) ||
    !Array.isArray(j.entries) ||
    !j.entries.every((e) => typeof e.target === "string" && okName(e.new) && okName(e.old))
  )
    throw new Error(`${path.join(dir, JOURNAL)} is not a nixverse-gen journal`);
  return j;
}

async function syncDirs(root: string, entries: JournalEntry[]): Promise<void> {
  const dirs = new Set(entries.map((e) => path.dirname(path.join(root, e.target))));
  for (const d of dirs) await syncDir(d);
}

async function syncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, "r");
    await fh.sync();
  } catch {
    // gone (a removed file's pruned dir) or not syncable: nothing to make durable
  } finally {
    await fh?.close();
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
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
