// Tier B: the static reading of os/channel/system agrees with the real module system
// (`lib.evalModules` from the pinned nixpkgs lib) on the winner, or on there being a conflict.

import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ParsedFile } from "../../generator/nix/ast.js";
import { parseNix } from "../../generator/nix/parse.js";
import { type StaticDef, resolveStatic, staticMetaDefs } from "../../generator/nix/static.js";
import { type Result, fail, diag } from "../../generator/errors.js";
import { nixEnv } from "../support/nix.js";
import { nixAvailable } from "./nix-oracle.js";

const INPUTS = process.env.NIX_INPUTS_DIR;
const ready = INPUTS !== undefined && nixAvailable();
if (!ready)
  console.log(
    "SKIPPED: NIX_INPUTS_DIR unset or nix-instantiate missing (static meta vs lib.evalModules)",
  );

const OPTIONS = ["os", "channel", "system"] as const;

/** Each case: files (the first ones are the definitions, in order); imports may reach others. */
const CASES: { name: string; defs: string[]; extra?: Record<string, string> }[] = [
  { name: "plain", defs: ['{ os = "nixos"; channel = "unstable"; }'] },
  {
    name: "default then plain",
    defs: [
      '{ lib, ... }: { channel = lib.mkDefault "stable"; os = "nixos"; }',
      '{ channel = "unstable"; }',
    ],
  },
  {
    name: "force beats plain",
    defs: ['{ lib, ... }: { channel = lib.mkForce "a"; os = "nixos"; }', '{ channel = "b"; }'],
  },
  {
    name: "equal plain values",
    defs: ['{ os = "nixos"; channel = "a"; }', '{ os = "nixos"; channel = "a"; }'],
  },
  { name: "conflict", defs: ['{ os = "nixos"; channel = "a"; }', '{ channel = "b"; }'] },
  {
    name: "conflict at mkDefault",
    defs: [
      '{ lib, ... }: { os = "nixos"; channel = lib.mkDefault "a"; }',
      '{ lib, ... }: { channel = lib.mkDefault "b"; }',
    ],
  },
  {
    name: "mkOverride numbers",
    defs: [
      '{ lib, ... }: { os = lib.mkOverride 900 "darwin"; channel = "a"; }',
      '{ lib, ... }: { os = lib.mkDefault "nixos"; }',
    ],
  },
  {
    name: "full module and pushed-down mkDefault",
    defs: [
      '{ lib, ... }: { options.foo = lib.mkOption { default = 1; }; config = lib.mkDefault { os = "darwin"; channel = "x"; }; }',
      '{ config.os = "nixos"; }',
    ],
  },
  {
    name: "mkMerge and mkIf",
    defs: [
      '{ lib, ... }: lib.mkMerge [ { os = "nixos"; } (lib.mkIf false { channel = "no"; }) (lib.mkIf true { channel = lib.mkForce "yes"; }) ]',
      '{ channel = "plain"; system = "x86_64-linux"; }',
    ],
  },
  {
    name: "leaf mkMerge",
    defs: [
      '{ lib, ... }: { os = "nixos"; channel = lib.mkMerge [ (lib.mkDefault "a") (lib.mkIf true "b") ]; }',
    ],
  },
  {
    name: "with lib and imports",
    defs: ['{ lib, ... }: with lib; { imports = [ ./sub/m.nix ]; os = mkDefault "nixos"; }'],
    extra: { "sub/m.nix": '{ lib, ... }: { channel = "c"; os = lib.mkForce "darwin"; }' },
  },
  {
    name: "let and rec",
    defs: ['let c = "z"; in rec { os = "nixos"; channel = c; system = "aarch64-linux"; }'],
  },
];

type Outcome = { value: string | null } | { conflict: true };

function ours(dir: string, files: string[]): Record<string, Outcome> {
  const load = (p: string): Result<ParsedFile> => {
    try {
      return parseNix(readFileSync(join(dir, p), "utf8"), p);
    } catch {
      return fail(diag("read-failed", p));
    }
  };
  const all: Record<string, StaticDef[]> = { os: [], channel: [], system: [] };
  for (const f of files) {
    const p = load(f);
    if (!p.ok) throw new Error(p.errors[0]!.message);
    const d = staticMetaDefs(p.value.expr, f, OPTIONS, load);
    if (!d.ok) throw new Error(`${f}: ${d.errors.map((e) => e.message).join("; ")}`);
    for (const o of OPTIONS) all[o]!.push(...d.value[o]!);
  }
  const out: Record<string, Outcome> = {};
  for (const o of OPTIONS) {
    const r = resolveStatic(o, all[o]!);
    out[o] = r.ok ? { value: r.value === null ? null : String(r.value.value) } : { conflict: true };
  }
  return out;
}

function theirs(dir: string, files: string[]): Record<string, Outcome> {
  const lib = join(INPUTS!, "nixpkgs.lib/lib");
  const expr = `
let
  lib = import ${lib};
  eval = lib.evalModules {
    specialArgs = { nodes = { }; inputs = { }; "lib'" = { }; };
    modules = [
      { options.os = lib.mkOption { type = lib.types.str; };
        options.channel = lib.mkOption { type = lib.types.str; };
        options.system = lib.mkOption { type = lib.types.nullOr lib.types.str; default = null; }; }
    ] ++ [ ${files.map((f) => join(dir, f)).join(" ")} ];
  };
  get = o: let r = builtins.tryEval (builtins.deepSeq eval.config.\${o} eval.config.\${o}); in
    if r.success then { value = r.value; } else { conflict = true; };
in { os = get "os"; channel = get "channel"; system = get "system"; }`;
  const r = spawnSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], {
    encoding: "utf8",
    env: nixEnv(),
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, Outcome>;
}

describe.skipIf(!ready)("static meta definitions vs lib.evalModules", () => {
  const dir = mkdtempSync(join(tmpdir(), "static-meta-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of CASES) {
    it(c.name, () => {
      const base = join(dir, c.name.replace(/\W+/g, "-"));
      const files = c.defs.map((src, k) => {
        const f = join(base, `d${k}.nix`);
        mkdirSync(dirname(f), { recursive: true });
        writeFileSync(f, src);
        return relative(dir, f);
      });
      for (const [p, src] of Object.entries(c.extra ?? {})) {
        const f = join(base, p);
        mkdirSync(dirname(f), { recursive: true });
        writeFileSync(f, src);
      }
      expect(ours(dir, files)).toEqual(theirs(dir, files));
    });
  }

  it("really disagrees with Nix when the priorities are wrong (guards the oracle)", () => {
    const base = join(dir, "guard");
    mkdirSync(base, { recursive: true });
    writeFileSync(
      join(base, "a.nix"),
      '{ lib, ... }: { os = lib.mkDefault "darwin"; channel = "a"; }',
    );
    writeFileSync(join(base, "b.nix"), '{ os = "nixos"; }');
    const nix = theirs(dir, ["guard/a.nix", "guard/b.nix"]);
    expect(nix.os).toEqual({ value: "nixos" });
  });
});
