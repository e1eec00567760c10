// Runs Nix's own parser (`nix-instantiate --parse`) over many files quickly: one process per
// batch, two batches at a time. A batch stops at its first rejected file (Nix prints one line per
// accepted file, in order), so the rejected one is known and the rest is re-run.

import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nixEnv, nixVersion } from "../support/nix.js";

export type NixVerdict = { ok: true; printed: string } | { ok: false; error: string };

/** Whichever Nix is on PATH is the oracle: the tests hold on every supported version. */
export function nixAvailable(): boolean {
  return nixVersion() !== null;
}

function run(files: string[]): Promise<{ lines: string[]; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn("nix-instantiate", ["--parse", ...files], { env: nixEnv() });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (d: Buffer) => out.push(d));
    p.stderr.on("data", (d: Buffer) => err.push(d));
    p.on("error", reject);
    p.on("close", (code) => {
      const text = Buffer.concat(out).toString("utf8");
      const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
      resolve({ lines, stderr: Buffer.concat(err).toString("utf8"), code: code ?? 1 });
    });
  });
}

async function parseSequence(files: string[], verdicts: Map<string, NixVerdict>, batch: number) {
  let i = 0;
  while (i < files.length) {
    const chunk = files.slice(i, i + batch);
    const { lines, stderr, code } = await run(chunk);
    lines.forEach((l, k) => verdicts.set(chunk[k]!, { ok: true, printed: l }));
    if (code === 0 && lines.length === chunk.length) {
      i += chunk.length;
      continue;
    }
    const bad = chunk[lines.length];
    if (bad === undefined) throw new Error(`nix-instantiate failed oddly: ${stderr}`);
    verdicts.set(bad, { ok: false, error: stderr.trim().split("\n")[0] ?? "" });
    i += lines.length + 1;
  }
}

/** Nix's verdict on each file (absolute, symlink-free paths). */
export async function nixParseFiles(
  files: string[],
  { parallel = 2, batch = 150 } = {},
): Promise<Map<string, NixVerdict>> {
  const verdicts = new Map<string, NixVerdict>();
  const lanes: string[][] = Array.from({ length: parallel }, () => []);
  files.forEach((f, k) => lanes[k % parallel]!.push(f));
  await Promise.all(lanes.map((lane) => parseSequence(lane, verdicts, batch)));
  return verdicts;
}

/** Nix's verdict on snippets, each written to its own file in a fresh directory. */
export async function nixParseSnippets(
  snippets: string[],
): Promise<{ dir: string; files: string[]; verdicts: NixVerdict[] }> {
  const dir = mkdtempSync(join(tmpdir(), "nix-snippets-"));
  const files = snippets.map((s, k) => {
    const f = join(dir, `s${k}.nix`);
    writeFileSync(f, s);
    return f;
  });
  const map = await nixParseFiles(files);
  const verdicts = files.map((f) => map.get(f)!);
  return { dir, files, verdicts };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
