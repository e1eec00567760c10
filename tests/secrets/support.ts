// A copy of examples/fleet, generated, with a master age key, a .sops.yaml and fixture inputs, so
// `secrets` commands run the real flow (Nix evaluation of the generated flake included) offline.

import {
  chmodSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { runCli, type CliRun } from "../support/cli.js";
import {
  copyTree,
  flakeInputNames,
  overrideArgs,
  writeFixtureInputs,
} from "../support/flake-fixtures.js";
import { NIX_CONFIG } from "../support/nix.js";
import { REPO, tempDir } from "./helpers.js";

export interface FleetFixture {
  dir: string;
  identity: string;
  recipient: string;
  /** Every input of the flake as it is now (it gains sops-nix once nodes have secrets). */
  overrides: () => Promise<string[]>;
  env: NodeJS.ProcessEnv;
  home: string;
  cleanup: () => void;
}

export async function fleetFixture(): Promise<FleetFixture> {
  const dir = copyTree(join(REPO, "examples", "fleet"));
  const gen = await runCli(["gen", "--flake", dir, "-q"], dir);
  if (gen.code !== 0) throw new Error(`gen failed: ${gen.stderr}`);
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  writeFileSync(join(dir, ".sops.yaml"), `creation_rules:\n  - age: ${recipient}\n`);
  const fx = writeFixtureInputs();
  const overrides = async () => overrideArgs(await flakeInputNames(dir), fx);
  const home = tempDir("nvg-home-");
  const env: NodeJS.ProcessEnv = {
    SOPS_AGE_KEY: identity,
    SOPS_AGE_KEY_FILE: undefined,
    XDG_CONFIG_HOME: undefined,
    HOME: home.dir,
    // Plaintext workspaces of this fixture's runs only (not the machine's /dev/shm).
    XDG_RUNTIME_DIR: mkdtempSync(join(home.dir, "run-")),
    NIX_CONFIG,
  };
  return { dir, identity, recipient, overrides, env, home: home.dir, cleanup: home.cleanup };
}

/** An $EDITOR that replaces the file with `content` (and touches `marker` when given). */
export function scriptedEditor(
  dir: string,
  name: string,
  content: string | null,
  opts: { marker?: string; then?: string } = {},
): string {
  const script = join(dir, `${name}.sh`);
  const dataFile = join(dir, `${name}.content`);
  if (content !== null) writeFileSync(dataFile, content);
  const lines = ["#!/bin/sh", "set -e"];
  if (content !== null) lines.push(`cat '${dataFile}' > "$1"`);
  if (opts.marker) lines.push(`touch '${opts.marker}'`);
  if (opts.then) lines.push(opts.then);
  writeFileSync(script, `${lines.join("\n")}\n`);
  chmodSync(script, 0o755);
  return script;
}

export async function secrets(
  f: FleetFixture,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const [sub, ...rest] = args;
  return runCli(
    ["secrets", sub as string, "--flake", f.dir, ...(await f.overrides()), ...rest],
    f.dir,
    { ...f.env, ...env },
  );
}

/** path → [content, mtimeMs] of every file (for "nothing was rewritten"). */
export function fileStates(dir: string): Map<string, [string, number]> {
  const out = new Map<string, [string, number]>();
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel))) {
      const r = rel ? `${rel}/${e}` : e;
      if (e === ".git") continue;
      const st = statSync(join(dir, r));
      if (st.isDirectory()) walk(r);
      else out.set(r, [readFileSync(join(dir, r), "utf8"), st.mtimeMs]);
    }
  };
  walk("");
  return out;
}
