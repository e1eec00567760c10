// Tier B: the original Nixverse (b1b80d5) as the oracle for the secrets cascade. The same tree is
// read by Nixverse's own rawEntities.nix + getSecrets.nix + getNodesSecrets, and by our generator
// (fleet.nix) + runtime-nix/secrets.nix; the evaluated config, the receiving nodes and every
// node's secrets.json must agree.

import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeTree, runCli } from "../support/cli.js";
import { nixEnv } from "../support/nix.js";
import { REPO, skipped } from "./helpers.js";

const inputs = process.env.NIX_INPUTS_DIR;
const nixverse = inputs ? join(inputs, "nixverse") : "";
const missing = !inputs
  ? "NIX_INPUTS_DIR is not set (tier B needs the pinned checkouts of TESTING.md)"
  : !existsSync(join(nixverse, "lib", "load", "getSecrets.nix"))
    ? "NIX_INPUTS_DIR has no nixverse checkout"
    : null;
if (missing) skipped(`secrets cascade against the original Nixverse: ${missing}`);

// Diamonds and a group of groups: n2 is under a and b; c is a group inside a; all under top.
const TREE = {
  "nodes/top/group.nix":
    '{ common = { os = "nixos"; channel = "unstable"; }; a = { }; b = { }; }\n',
  "nodes/a/group.nix": "{ n1 = { }; n2 = { }; c = { }; }\n",
  "nodes/b/group.nix": "{ n2 = { }; n3 = { }; }\n",
  "nodes/c/group.nix": "{ n4 = { }; }\n",
  "nodes/solo/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
  "nodes/common/configuration.nix": "{ }\n",
};

const CASES: Record<string, string> = {
  "every level sets the same keys": `{
    nodes = {
      top = { x = "top"; t = "top"; deep = { a = "top"; b = "top"; l = [ 1 ]; }; };
      a = { x = "a"; y = "a"; deep.b = "a"; };
      b = { x = "b"; z = "b"; deep = { c = "b"; l = [ 2 3 ]; }; };
      c = { y = "c"; deep.d = "c"; };
      n2 = { z = "n2"; };
      n4 = { x = "n4"; };
      solo = { only = "solo"; };
    };
  }`,
  "groups only, hidden keys and empty sets": `{
    extra = { _kept = "top-level keys stay in config"; };
    nodes = {
      b = { _hidden = "b"; visible = { _h = 1; v = "b"; }; empty = { }; gone = { _h = 1; }; list = [ { _h = 1; } { k = "v"; } ]; };
      c = { n = 1; f = 1.5; t = true; nul = null; };
    };
  }`,
  "a function with the secrets fixpoint": `{ lib, secrets, ... }: {
    shared = { pw = "s3cret"; port = 22; };
    nodes = {
      top.pw = secrets.shared.pw;
      a.port = secrets.shared.port + 1;
      n3 = { copy = secrets.nodes.a.port; names = lib.attrNames secrets.nodes; };
    };
  }`,
};

function nixJson(expr: string): unknown {
  const out = execFileSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], {
    encoding: "utf8",
    env: nixEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return JSON.parse(out);
}

describe.skipIf(missing !== null)("secrets cascade: ours = the original Nixverse's", () => {
  let tree = "";
  beforeAll(async () => {
    tree = makeTree(TREE);
    const r = await runCli(["gen", "--flake", tree, "-q"], tree);
    if (r.code !== 0) throw new Error(r.stderr);
  });

  for (const [name, expr] of Object.entries(CASES)) {
    it(name, () => {
      const file = join(tree, `secrets-${Object.keys(CASES).indexOf(name)}.nix`);
      writeFileSync(file, expr);
      const lib = `import ${inputs}/nixpkgs.lib/lib`;
      const theirs = nixJson(`
        let
          lib = ${lib};
          lib' = import ${nixverse}/lib { inherit lib lib'; self = null; };
          raw = import ${nixverse}/lib/load/rawEntities.nix { inherit lib lib'; userFlakePath = "${tree}"; };
          entities = lib.mapAttrs (n: e: e // lib.optionalAttrs (e.type == "group") {
            nodes = lib.genAttrs e.nodeNames (_: null);
          }) raw;
          userInputs = { nixpkgs-unstable = { inherit lib; }; };
          getSecrets = import ${nixverse}/lib/load/getSecrets.nix {
            inherit lib lib' entities userInputs;
            userLib = { };
            userEntities = { };
          };
          output = import ${nixverse}/pkgs/nixverse/output.nix {
            inherit lib lib' entities userInputs;
            userLib = { };
            userFlakePath = "${tree}";
            userEntities = { };
          };
          s = getSecrets (import ${file});
        in {
          config = builtins.removeAttrs s.config [ "_module" ];
          inherit (s) nodeNames;
          nodes = lib.mapAttrs (_: v: builtins.fromJSON v."secrets.json") (output.getNodesSecrets s.config s.nodeNames);
        }`);
      const ours = nixJson(`
        let
          s = import ${REPO}/runtime-nix/secrets.nix {
            lib = import ${inputs}/nixpkgs.lib/lib;
            userLib = { };
            userInputs = { };
            nodes = { };
            data = import ${tree}/nixverse/fleet.nix;
          } (import ${file});
        in { inherit (s) config nodeNames nodes; }`);
      expect(ours).toEqual(theirs);
    });
  }
});
