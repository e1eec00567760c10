// Running Nix against fixture flakes: the environment, stand-in inputs, and `nix eval`.
// Tier B needs $NIX_INPUTS_DIR (the pinned checkouts of TESTING.md); tier A needs only `nix`.

import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { nixEnv } from "../../support/nix.js";

export const repoRoot = resolve(fileURLToPath(new URL("../../..", import.meta.url)));
export const runtimeDir = join(repoRoot, "runtime-nix");
export const inputsDir = process.env.NIX_INPUTS_DIR;
export const standinsSrc = join(repoRoot, "..", "shared", "testing", "standins");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      { env: nixEnv(), cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nixverse-rt-${prefix}-`));
}

/** Why tier B cannot run here, or null when it can. */
export function tierBMissing(): string | null {
  if (!inputsDir)
    return "NIX_INPUTS_DIR is not set (tier B needs the pinned checkouts of TESTING.md)";
  for (const name of [
    "nixpkgs.lib",
    "home-manager",
    "sops-nix",
    "disko",
    "flake-parts",
    "nixverse",
  ]) {
    if (!existsSync(join(inputsDir, name))) return `NIX_INPUTS_DIR has no ${name} checkout`;
  }
  if (!existsSync(standinsSrc)) return `no stand-ins at ${standinsSrc}`;
  return null;
}

let standinsCache: string | null = null;

/**
 * A writable copy of the shared stand-ins with the pinned nixpkgs lib copied in. The pkgs stub
 * also gets the packages Nixverse's testUserOutputs reads (`gawk`, `hello`, and `gnumake` /
 * `makeShellWrapper` / `stdenv.mkDerivation` for HEAD's `apps.make`) and nixpkgs' `newScope` and
 * `callPackage`, so pkgs' files can be called.
 */
export function standins(): string {
  if (standinsCache) return standinsCache;
  const dir = tempDir("standins");
  cpSync(standinsSrc, dir, { recursive: true });
  chmodSync(join(dir, "nixpkgs"), 0o755);
  cpSync(join(inputsDir!, "nixpkgs.lib", "lib"), join(dir, "nixpkgs", "lib"), { recursive: true });
  const flake = join(dir, "nixpkgs", "flake.nix");
  chmodSync(flake, 0o644);
  const src = readFileSync(flake, "utf8");
  // Packages are named stand-in derivations whose outPath is their name ("${gawk}" = "gawk").
  const drv = (name: string, extra = "") =>
    `{ type = "derivation"; name = "${name}"; pname = "${name}"; outPath = "${name}";${extra} }`;
  const patched = src
    .replace(
      'rsync = "rsync";',
      [
        'rsync = "rsync";',
        `gawk = ${drv("gawk")};`,
        `hello = ${drv("hello")};`,
        `gnumake = ${drv("gnumake", ' meta.mainProgram = "make";')};`,
        'makeShellWrapper = "makeShellWrapper";',
        "newScope = extra: lib0.callPackageWith (pkgsStub system // extra);",
        "callPackage = lib0.callPackageWith (pkgsStub system);",
        "lib = lib0;",
      ].join("\n        "),
    )
    // As nixosSystem's result, the system carries its `pkgs` (HEAD's nodes.<n>.pkgs).
    .replace(
      "r // { standinArgs = args; }",
      "r // { standinArgs = args; pkgs = r._module.args.pkgs; }",
    )
    .replace(
      "stdenv.hostPlatform = lib0.systems.elaborate system;",
      'stdenv.hostPlatform = lib0.systems.elaborate system;\n        stdenv.mkDerivation = a: { type = "derivation"; inherit (a) name; outPath = a.name; meta = a.meta or { }; };',
    );
  if (
    !["callPackage =", "stdenv.mkDerivation", "pkgs = r._module"].every((s) => patched.includes(s))
  )
    throw new Error("stand-in nixpkgs changed shape: cannot add packages/newScope/callPackage");
  writeFileSync(flake, patched);
  standinsCache = dir;
  return dir;
}

/** Which checkout or stand-in replaces a flake input, by Nixverse's naming conventions. */
export function overridesFor(inputNames: string[]): string[] {
  const s = standins();
  const args: string[] = [];
  const add = (name: string, path: string) => args.push("--override-input", name, `path:${path}`);
  for (const name of inputNames) {
    if (name.startsWith("nixpkgs")) add(name, join(s, "nixpkgs"));
    else if (name.startsWith("home-manager")) {
      add(name, join(inputsDir!, "home-manager"));
      add(`${name}/nixpkgs`, join(s, "nixpkgs"));
    } else if (name.startsWith("sops-nix")) {
      add(name, join(inputsDir!, "sops-nix"));
      add(`${name}/nixpkgs`, join(s, "nixpkgs"));
      add(`${name}/nixpkgs-stable`, join(s, "nixpkgs"));
    } else if (name.startsWith("disko")) {
      add(name, join(inputsDir!, "disko"));
      add(`${name}/nixpkgs`, join(s, "nixpkgs"));
    } else if (name.startsWith("nix-darwin")) {
      add(name, join(s, "nix-darwin"));
      add(`${name}/nixpkgs`, join(s, "nixpkgs"));
    } else if (name === "flake-parts") {
      add(name, join(inputsDir!, "flake-parts"));
      add(`${name}/nixpkgs-lib`, join(inputsDir!, "nixpkgs.lib"));
    } else add(name, join(s, "stub"));
  }
  return args;
}

/** The input names a flake.nix declares (flake.nix is a plain attribute set). */
export async function flakeInputNames(flakeDir: string): Promise<string[]> {
  const r = await run("nix-instantiate", [
    "--eval",
    "--json",
    "--strict",
    "-E",
    `builtins.attrNames ((import ${join(flakeDir, "flake.nix")}).inputs or { })`,
  ]);
  if (r.code !== 0)
    throw new Error(`cannot read the inputs of ${flakeDir}/flake.nix:\n${r.stderr}`);
  return JSON.parse(r.stdout) as string[];
}

export type EvalResult = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * `nix eval --json path:DIR#ATTR [--apply FN]` with every input replaced by a stand-in or a
 * pinned checkout. Errors come back as values so tests can match their messages.
 */
export async function flakeEval(
  flakeDir: string,
  attr: string,
  apply?: string,
): Promise<EvalResult> {
  const names = await flakeInputNames(flakeDir);
  const args = [
    "eval",
    "--json",
    "--no-write-lock-file",
    `path:${flakeDir}#${attr}`,
    ...overridesFor(names),
  ];
  if (apply) args.push("--apply", apply);
  const r = await run("nix", args);
  if (r.code === 0) return { ok: true, value: JSON.parse(r.stdout) as unknown };
  // Keep only the error, not the lock-file chatter.
  const error = r.stderr.slice(r.stderr.indexOf("error:") >= 0 ? r.stderr.indexOf("error:") : 0);
  return { ok: false, error };
}

/** The value, or a thrown Error carrying Nix's message. */
export async function flakeValue(flakeDir: string, attr: string, apply?: string): Promise<unknown> {
  const r = await flakeEval(flakeDir, attr, apply);
  if (!r.ok) throw new Error(`nix eval ${attr} failed:\n${r.error}`);
  return r.value;
}

/** The error text; fails when evaluation succeeds. */
export async function flakeError(flakeDir: string, attr: string, apply?: string): Promise<string> {
  const r = await flakeEval(flakeDir, attr, apply);
  if (r.ok)
    throw new Error(
      `nix eval ${attr} succeeded (${JSON.stringify(r.value)}) but an error was expected`,
    );
  return r.error;
}

/** Copy the runtime library where generated flakes expect it (nixverse/lib). */
export function installRuntime(flakeDir: string): void {
  cpSync(runtimeDir, join(flakeDir, "nixverse", "lib"), { recursive: true });
}
