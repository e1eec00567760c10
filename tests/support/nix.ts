// Helpers for tests that ask the real Nix (2.34 in CI, also 2.26) — the oracle for everything we
// generate. Every test folder takes Nix's environment from here, so no test depends on the
// caller's NIX_CONFIG (a caller exporting `experimental-features = … pipe-operators`, or flakes
// off, would otherwise change what Nix accepts).
import { execa } from "execa";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** The whole Nix configuration of a test: offline (no substituters), flakes on, nothing else. */
export const NIX_CONFIG =
  "experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 1";

/**
 * process.env with the caller's NIX_CONFIG replaced by ours (the `experimental-features` line
 * overrides what nix.conf enables), plus `extra`; an `undefined` in `extra` unsets the variable.
 */
export function nixEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NIX_CONFIG, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  return env;
}

/** The version of the `nix-instantiate` on PATH ("2.34.8"), or null when there is none. */
export function nixVersion(): string | null {
  const r = spawnSync("nix-instantiate", ["--version"], { encoding: "utf8", env: nixEnv() });
  if (r.status !== 0) return null;
  return /(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout)?.[1] ?? null;
}

/** Parses a file with `nix-instantiate --parse`; returns null when Nix accepts it, else stderr. */
export async function nixParseError(file: string): Promise<string | null> {
  const r = await execa("nix-instantiate", ["--parse", file], { reject: false, env: nixEnv() });
  return r.exitCode === 0 ? null : r.stderr;
}

export async function nixEvalJson(args: string[], cwd?: string): Promise<unknown> {
  const r = await execa("nix", ["eval", "--json", ...args], { env: nixEnv(), cwd, reject: false });
  if (r.exitCode !== 0) throw new Error(`nix eval ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

export function tempDir(prefix = "nixverse-test-"): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * A new directory for the root of a chroot store that Nix will build in (`local?root=<dir>`):
 * not below a world-writable directory such as /tmp, which Nix refuses for building. Removed
 * by the caller (`rmSync(dir, { recursive: true, force: true })`).
 */
export function buildableStoreRoot(prefix: string): string {
  const base = path.join(os.homedir(), ".cache", "nixverse-tests");
  mkdirSync(base, { recursive: true, mode: 0o755 });
  return mkdtempSync(path.join(base, prefix));
}
