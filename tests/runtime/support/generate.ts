// Fixture trees turned into flakes by the real generator CLI (`npm run build` first): the
// end-to-end oracle for the runtime library.

import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fixtureDir, writeTree, type Tree } from "./fixture.js";
import { repoRoot, run, type RunResult } from "./nix.js";

const cli = join(repoRoot, "bin", "nixverse-gen.js");

export async function gen(flakeDir: string): Promise<RunResult> {
  return run("node", [cli, "gen", "--flake", flakeDir], repoRoot);
}

/**
 * Copy a fixture tree (e.g. one of Nixverse's test suites), drop the files that belong to
 * Nixverse's own harness, add `extra`, and generate. Throws with the CLI's output on failure.
 */
export async function generatedFlake(
  name: string,
  src: string | null,
  extra: Tree = {},
  drop: string[] = ["default.nix", "inputs.nix"],
): Promise<string> {
  const dir = fixtureDir(name, src);
  for (const f of drop) {
    const p = join(dir, f);
    if (existsSync(p)) rmSync(p);
  }
  writeTree(dir, extra);
  const r = await gen(dir);
  if (r.code !== 0)
    throw new Error(
      `nixverse-gen gen failed for ${name} (exit ${r.code}):\n${r.stdout}${r.stderr}`,
    );
  return dir;
}

/** Generate and expect failure; returns the CLI's output. */
export async function generateFails(
  name: string,
  src: string | null,
  extra: Tree = {},
): Promise<string> {
  const dir = fixtureDir(name, src);
  for (const f of ["default.nix", "inputs.nix"]) {
    const p = join(dir, f);
    if (existsSync(p)) rmSync(p);
  }
  writeTree(dir, extra);
  const r = await gen(dir);
  if (r.code === 0)
    throw new Error(`nixverse-gen gen succeeded for ${name}, but an error was expected`);
  if (existsSync(join(dir, "flake.nix")))
    throw new Error(`nixverse-gen wrote flake.nix for ${name} although it failed`);
  return `${r.stdout}${r.stderr}`;
}
