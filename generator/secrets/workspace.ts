// The only place plaintext secrets touch the disk: a private temp dir (0700, files 0600) that is
// removed on every exit path — normal return, error, SIGINT, SIGTERM — except the one file a
// failed `secrets edit` keeps so no edit is ever lost. It lives in memory when the system offers
// that ($XDG_RUNTIME_DIR, else /dev/shm), so a crash leaves no plaintext on a disk; a SIGKILL
// cannot be caught, so the next run reports a leftover workspace (staleWorkspaces).

import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import {
  accessSync,
  chmodSync,
  constants,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { INTERRUPTS } from "../signals.js";

export const WORKSPACE_PREFIX = "nixverse-secrets-";
/** The one file of a workspace that an edit lives in (and that `--resume` may delete). */
export const EDIT_FILE = "secrets.nix";

/** Where workspaces go: $XDG_RUNTIME_DIR (ours, private), else /dev/shm, else the temp dir. */
export function workspaceBase(env: NodeJS.ProcessEnv): string {
  const uid = process.getuid?.() ?? -1;
  const usable = (d: string | undefined, mustOwn: boolean): d is string => {
    if (!d) return false;
    try {
      const st = statSync(d);
      accessSync(d, constants.W_OK | constants.X_OK);
      return st.isDirectory() && (!mustOwn || st.uid === uid);
    } catch {
      return false;
    }
  };
  if (usable(env.XDG_RUNTIME_DIR, true)) return env.XDG_RUNTIME_DIR;
  if (usable("/dev/shm", false)) return "/dev/shm";
  return env.TMPDIR || tmpdir();
}

/** Workspaces of ours whose process is gone (killed, or a kept edit), oldest first. */
export function staleWorkspaces(env: NodeJS.ProcessEnv): string[] {
  const base = workspaceBase(env);
  const uid = process.getuid?.() ?? -1;
  let names: string[];
  try {
    names = readdirSync(base).filter((n) => n.startsWith(WORKSPACE_PREFIX));
  } catch {
    return [];
  }
  return names
    .filter((n) => !running(Number(/^nixverse-secrets-(\d+)-/.exec(n)?.[1])))
    .map((n) => join(base, n))
    .filter((d) => {
      try {
        const st = statSync(d);
        return st.isDirectory() && st.uid === uid;
      } catch {
        return false;
      }
    })
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

function running(pid: number): boolean {
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `file` is an edit kept by this tool (so `--resume` may delete it). */
export function isKeptEdit(file: string, env: NodeJS.ProcessEnv): boolean {
  const dir = dirname(file);
  return (
    basename(file) === EDIT_FILE &&
    basename(dir).startsWith(WORKSPACE_PREFIX) &&
    staleWorkspaces(env).includes(dir)
  );
}

export class Interrupted extends Error {
  override name = "Interrupted";
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
  }
}

export class PlaintextWorkspace {
  readonly dir: string;
  /** A file that survives an abnormal exit while `when()` holds (a user's changed edit). */
  keep: { file: string; when: () => boolean } | null = null;
  /** Inside a commit: signals wait until it is done, so no file is half replaced. */
  private committing = false;
  /** Set once commit() has written the files: an interrupt now must not claim otherwise. */
  committed = false;
  private pendingSignal: NodeJS.Signals | null = null;
  private readonly children = new Set<ChildProcess>();
  private readonly handlers: Array<[NodeJS.Signals, () => void]> = [];
  private onInterrupt: ((signal: NodeJS.Signals) => void) | null = null;
  private closed = false;
  private inEditor = false;
  /** The kept edit after close, if any. */
  keptFile: string | null = null;
  private readonly exitHandler = () => this.removeSync(true);

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** `onInterrupt` runs synchronously after cleanup on SIGINT/SIGTERM/SIGHUP (the CLI prints and exits). */
  static create(
    onInterrupt: (signal: NodeJS.Signals, ws: PlaintextWorkspace) => void,
    env: NodeJS.ProcessEnv = process.env,
  ): PlaintextWorkspace {
    // The pid in the name tells a running edit's workspace from a dead one's.
    const dir = mkdtempSync(join(workspaceBase(env), `${WORKSPACE_PREFIX}${process.pid}-`));
    chmodSync(dir, 0o700);
    const ws = new PlaintextWorkspace(dir);
    ws.onInterrupt = (s) => onInterrupt(s, ws);
    for (const sig of INTERRUPTS) {
      const h = () => ws.signal(sig);
      ws.handlers.push([sig, h]);
      process.on(sig, h);
    }
    process.on("exit", ws.exitHandler);
    return ws;
  }

  /** Write a plaintext file inside the workspace, readable by us only. */
  write(name: string, content: string | Uint8Array): string {
    const file = join(this.dir, name);
    writeFileSync(file, content, { mode: 0o600 });
    chmodSync(file, 0o600);
    return file;
  }

  /** Spawn a child that is killed if we are interrupted. */
  spawn(cmd: string, args: string[], opts: SpawnOptions): ChildProcess {
    const child = spawn(cmd, args, opts);
    this.children.add(child);
    child.on("exit", () => this.children.delete(child));
    return child;
  }

  async commit<T>(f: () => Promise<T>): Promise<T> {
    this.committing = true;
    try {
      const r = await f();
      this.committed = true;
      return r;
    } finally {
      this.committing = false;
      const s = this.pendingSignal;
      if (s) this.signal(s);
    }
  }

  /**
   * While an editor runs, Ctrl-C belongs to it (as git does): SIGINT is ignored, SIGTERM still
   * ends everything.
   */
  async editing<T>(f: () => Promise<T>): Promise<T> {
    this.inEditor = true;
    try {
      return await f();
    } finally {
      this.inEditor = false;
    }
  }

  private signal(sig: NodeJS.Signals): void {
    if (sig === "SIGINT" && this.inEditor) return;
    if (this.committing) {
      this.pendingSignal = sig;
      return;
    }
    for (const c of this.children) c.kill("SIGTERM");
    // After the commit the edit is in the committed files: no plaintext copy is kept.
    this.removeSync(!this.committed);
    this.onInterrupt?.(sig);
  }

  /** Remove everything; with keepEdit, the kept file (and its dir) stays. */
  private removeSync(keepEdit: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const [sig, h] of this.handlers) process.off(sig, h);
    process.off("exit", this.exitHandler);
    let kept = false;
    try {
      kept = keepEdit && this.keep !== null && this.keep.when();
    } catch {
      kept = true; // when in doubt, never lose an edit
    }
    if (kept && this.keep) {
      for (const e of readdirSync(this.dir)) {
        const p = join(this.dir, e);
        if (p !== this.keep.file) rmSync(p, { recursive: true, force: true });
      }
      this.keptFile = this.keep.file;
      return;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Normal end: remove it all, or keep the edit (after an error). */
  close(keepEdit: boolean): void {
    this.removeSync(keepEdit);
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/** Run a child to completion, collecting stdout/stderr; stdin closed. */
export function runChild(
  ws: PlaintextWorkspace,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = ws.spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
