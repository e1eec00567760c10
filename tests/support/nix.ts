// Helpers for tests that ask the real Nix (Debian's 2.8) — the oracle for everything we generate.
import { execa } from "execa";
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const NIX_CONFIG =
  "experimental-features = nix-command flakes\nsubstituters =\nconnect-timeout = 1";

export function nixEnv(): NodeJS.ProcessEnv {
  return { ...process.env, NIX_CONFIG };
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
