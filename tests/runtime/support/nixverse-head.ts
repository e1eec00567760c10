// The original Nixverse HEAD (0a4c9f5, $NIX_INPUTS_DIR/nixverse-head) running its own test suite
// on the stand-ins: the oracle for tests/runtime/nixverse-head-cases.test.ts. Nixverse's harness
// (tests/flake-module.nix, nix-unit) is replaced by a small flake that builds the same `userFlake`
// argument and evaluates one case at a time, so each case's value or error can be compared.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { inputsDir, overridesFor, run, standins, tempDir } from "./nix.js";

export const HEAD_SUITES = [
  "testBundleModuleCollision",
  "testBundlePackageCollision",
  "testBundles",
  "testConfig",
  "testCrossRef",
  "testEmptyGroup",
  "testEmptyGroupCommon",
  "testEmptyGroupDeep",
  "testInputs",
  "testLib",
  "testMetaConfig",
  "testModuleTypeCollision",
  "testModules",
  "testRawEntities",
  "testRequiredMeta",
  "testSecretsPath",
  "testSelfRef",
  "testUserAppCollision",
  "testUserLib",
  "testUserOutputCollision",
  "testUserOutputs",
] as const;

export const headDir = () => join(inputsDir ?? "/nonexistent", "nixverse-head");
export const headSuite = (name: string) => join(headDir(), "tests", name);

// The stand-ins as inputs the harness declares (overridden like a generated flake's).
const OWN = [
  "nixpkgs-unstable",
  "home-manager-unstable",
  "sops-nix-unstable",
  "nix-darwin-unstable",
];

/**
 * Nixverse's flake-module.nix, minus nix-unit: `userFlake.inputs` = nixpkgs-unstable plus the
 * suite's inputs.nix, whose network inputs (`builtins.getFlake "github:…"` for home-manager and
 * sops-nix) are replaced by the pinned checkouts. `self.packages.<system>.nixverse` (Nixverse's
 * own package, read for `apps` and the pkgs' scope) is a named stand-in derivation.
 */
const HARNESS = `{
  inputs = {
    nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    home-manager-unstable.url = "github:nix-community/home-manager";
    sops-nix-unstable.url = "github:Mic92/sops-nix";
    nix-darwin-unstable.url = "github:nix-darwin/nix-darwin";
    nixverse = { url = "github:hgl/nixverse"; flake = false; };
  };
  outputs =
    inputs:
    let
      lib = inputs.nixpkgs-unstable.lib;
      fakeDrv = name: { type = "derivation"; inherit name; outPath = "/nix/store/00000000000000000000000000000000-\${name}"; meta.mainProgram = name; };
      self = { packages = lib.genAttrs lib.systems.flakeExposed (_: { nixverse = fakeDrv "nixverse"; }); };
      lib' = lib.fix (lib': import "\${inputs.nixverse}/lib" { inherit lib lib' self; });
      replaced = {
        home-manager-unstable = inputs.home-manager-unstable;
        sops-nix-unstable = inputs.sops-nix-unstable;
      };
      suite =
        name:
        let
          dir = "\${inputs.nixverse}/tests/\${name}";
          userInputs =
            if builtins.pathExists "\${dir}/inputs.nix" then
              let own = lib'.internal.call (import "\${dir}/inputs.nix") { inherit lib lib'; inputs = { }; };
              in own // builtins.intersectAttrs own replaced
            else { };
          userFlake = {
            inputs = { nixpkgs-unstable = inputs.nixpkgs-unstable; } // userInputs;
            outPath = dir;
          };
        in
        import "\${dir}/default.nix" { inherit lib lib' self userFlake; };
    in
    {
      cases = lib.genAttrs [ ${HEAD_SUITES.map((s) => `"${s}"`).join(" ")} ] suite;
    };
}
`;

let harnessDir: string | null = null;

function harness(): string {
  if (harnessDir) return harnessDir;
  const dir = tempDir("nixverse-head-harness");
  writeFileSync(join(dir, "flake.nix"), HARNESS);
  harnessDir = dir;
  return dir;
}

const overrides = () => [
  ...overridesFor(OWN),
  "--override-input",
  "nixverse",
  `path:${headDir()}`,
  "--override-input",
  "nix-darwin-unstable/nixpkgs",
  `path:${join(standins(), "nixpkgs")}`,
];

export type CaseOutcome = { ok: true; value: unknown } | { ok: false; error: string };

async function evalAttr(attr: string, apply?: string): Promise<CaseOutcome> {
  const args = [
    "eval",
    "--json",
    "--no-write-lock-file",
    `path:${harness()}#${attr}`,
    ...overrides(),
  ];
  if (apply) args.push("--apply", apply);
  const r = await run("nix", args);
  if (r.code === 0) return { ok: true, value: JSON.parse(r.stdout) as unknown };
  const at = r.stderr.indexOf("error:");
  return { ok: false, error: r.stderr.slice(at >= 0 ? at : 0) };
}

/** The case names of one suite, in Nixverse's order (attribute names). */
export async function headCaseNames(suite: string): Promise<string[]> {
  const r = await evalAttr(`cases.${suite}`, "builtins.attrNames");
  if (!r.ok) throw new Error(`cannot list the cases of ${suite}:\n${r.error}`);
  return r.value as string[];
}

export interface HeadCase {
  suite: string;
  name: string;
  /** The case's `expected` value, or its `expectedError.msg` (a regular expression). */
  expected: { value: unknown } | { errorMsg: string };
  /** What the original Nixverse HEAD gives on the stand-ins. */
  original: CaseOutcome;
  /** Whether the original passes the case (nix-unit's rule: equal value, or the error matches). */
  originalPasses: boolean;
}

export const errorMatches = (error: string, msg: string) => new RegExp(msg).test(error);

export async function headCase(suite: string, name: string): Promise<HeadCase> {
  const at = `cases.${suite}."${name}"`;
  const kind = await evalAttr(at, "c: if c ? expectedError then c.expectedError.msg else null");
  if (!kind.ok) throw new Error(`cannot read ${suite}/${name}:\n${kind.error}`);
  let expected: HeadCase["expected"];
  if (typeof kind.value === "string") expected = { errorMsg: kind.value };
  else {
    const v = await evalAttr(`${at}.expected`);
    if (!v.ok) throw new Error(`cannot evaluate the expectation of ${suite}/${name}:\n${v.error}`);
    expected = { value: v.value };
  }
  const original = await evalAttr(`${at}.expr`);
  const originalPasses =
    "value" in expected
      ? original.ok && JSON.stringify(original.value) === JSON.stringify(expected.value)
      : !original.ok && errorMatches(original.error, expected.errorMsg);
  return { suite, name, expected, original, originalPasses };
}

// ── the same cases through a flake made by our generator ──

/**
 * Nixverse's own case file, evaluated with `lib'.load` answering with the outputs of a flake that
 * nixverse-gen generated from the suite's tree: each case's `expr` (verbatim) then reads our
 * outputs, and `userFlake` is that flake's source, so path expectations point into it.
 */
const THROUGH = `{
  inputs = {
    fleet.url = "path:/nonexistent";
    nixverse = { url = "github:hgl/nixverse"; flake = false; };
  };
  outputs =
    inputs:
    let
      lib = inputs.fleet.nixverse.lib;
      self = { };
      realLib' = lib.fix (lib': import "\${inputs.nixverse}/lib" { inherit lib lib' self; });
      lib' = realLib' // { load = _: inputs.fleet; };
      userFlake = { inputs = { }; outPath = inputs.fleet.outPath; };
    in
    {
      cases = suite: import "\${inputs.nixverse}/tests/\${suite}/default.nix" { inherit lib lib' self userFlake; };
    };
}
`;

let throughDir: string | null = null;

/**
 * `nix eval` of one case's `expr` against our generated flake at `fleetDir`. `overrides` are the
 * generated flake's own `--override-input` pairs (as for `nix eval path:<fleetDir>`); they are
 * applied to its copy as the `fleet` input.
 */
export async function throughOurs(
  fleetDir: string,
  fleetOverrides: string[],
  suite: string,
  name: string,
  part: "expr" | "expected" | "expectedError.msg" = "expr",
): Promise<CaseOutcome> {
  if (!throughDir) {
    throughDir = tempDir("nixverse-head-through");
    writeFileSync(join(throughDir, "flake.nix"), THROUGH);
  }
  const nested: string[] = [];
  for (let i = 0; i < fleetOverrides.length; i += 3)
    nested.push("--override-input", `fleet/${fleetOverrides[i + 1]}`, fleetOverrides[i + 2]!);
  const args = [
    "eval",
    "--json",
    "--no-write-lock-file",
    `path:${throughDir}#cases`,
    "--apply",
    `cases: (cases "${suite}")."${name}".${part}`,
    "--override-input",
    "fleet",
    `path:${fleetDir}`,
    "--override-input",
    "nixverse",
    `path:${headDir()}`,
    ...nested,
  ];
  const r = await run("nix", args);
  if (r.code === 0) return { ok: true, value: JSON.parse(r.stdout) as unknown };
  const at = r.stderr.indexOf("error:");
  return { ok: false, error: r.stderr.slice(at >= 0 ? at : 0) };
}
