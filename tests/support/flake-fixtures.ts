// Tier-A fixture inputs: tiny flakes that stand in for nixpkgs & co. so a generated flake can be
// evaluated offline by Nix without any real input. Their builders throw, which proves that
// listing configurations evaluates no node.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { nixEnv, tempDir } from "./nix.js";

/** Just enough of nixpkgs' lib, written with builtins, for the runtime's structural code paths. */
export const MINI_LIB = `rec {
  inherit (builtins) attrNames attrValues concatMap elem filter foldl' hasAttr head isAttrs isFunction
    isList isString length listToAttrs mapAttrs removeAttrs tail functionArgs concatStringsSep;
  id = x: x;
  optional = c: x: if c then [ x ] else [ ];
  optionals = c: xs: if c then xs else [ ];
  optionalAttrs = c: a: if c then a else { };
  optionalString = c: s: if c then s else "";
  genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);
  nameValuePair = name: value: { inherit name value; };
  mapAttrs' = f: s: listToAttrs (map (n: f n s.\${n}) (attrNames s));
  mapAttrsToList = f: s: map (n: f n s.\${n}) (attrNames s);
  filterAttrs = p: s: listToAttrs (concatMap (n: if p n s.\${n} then [ { name = n; value = s.\${n}; } ] else [ ]) (attrNames s));
  concatMapAttrs = f: s: foldl' (a: b: a // b) { } (mapAttrsToList f s);
  foldl = foldl';
  recursiveUpdate = a: b: a // mapAttrs (n: v: if isAttrs v && isAttrs (a.\${n} or null) then recursiveUpdate a.\${n} v else v) b;
  flatten = x: if isList x then concatMap flatten x else [ x ];
  unique = foldl' (acc: e: if elem e acc then acc else acc ++ [ e ]) [ ];
  last = xs: builtins.elemAt xs (length xs - 1);
  systems.flakeExposed = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
  nixosSystem = _: throw "fixture: a NixOS configuration was evaluated";
}`;

export interface Fixtures {
  nixpkgs: string;
  darwin: string;
  stub: string;
}

export function writeFixtureInputs(dir = tempDir("nixverse-fixtures-")): Fixtures {
  const nixpkgs = path.join(dir, "nixpkgs");
  const darwin = path.join(dir, "nix-darwin");
  const stub = path.join(dir, "stub");
  for (const d of [nixpkgs, darwin, stub]) mkdirSync(d, { recursive: true });
  writeFileSync(
    path.join(nixpkgs, "flake.nix"),
    `{ outputs = _: { lib = ${MINI_LIB}; legacyPackages = { }; nixosModules = { }; }; }\n`,
  );
  writeFileSync(
    path.join(darwin, "flake.nix"),
    `{ outputs = _: { lib.darwinSystem = _: throw "fixture: a darwin configuration was evaluated"; darwinModules = { }; }; }\n`,
  );
  writeFileSync(
    path.join(stub, "flake.nix"),
    "{ outputs = _: { nixosModules = { }; darwinModules = { }; homeModules = { }; packages = { }; legacyPackages = { }; }; }\n",
  );
  return { nixpkgs, darwin, stub };
}

/** The input names a generated flake.nix declares, as Nix itself reads them. */
export async function flakeInputNames(flakeDir: string): Promise<string[]> {
  const r = await execa(
    "nix-instantiate",
    [
      "--eval",
      "--strict",
      "--json",
      "-E",
      `builtins.attrNames (import ${path.join(flakeDir, "flake.nix")}).inputs`,
    ],
    { env: nixEnv() },
  );
  return JSON.parse(r.stdout) as string[];
}

/** `--override-input` arguments replacing every input with a fixture. */
export function overrideArgs(names: string[], fx: Fixtures): string[] {
  return names.flatMap((n) => [
    "--override-input",
    n,
    `path:${n.startsWith("nixpkgs") ? fx.nixpkgs : n.startsWith("nix-darwin") ? fx.darwin : fx.stub}`,
  ]);
}

/** Copies an example (or any tree) to a temp dir so tests can write into it. */
export function copyTree(src: string): string {
  const dst = tempDir("nixverse-example-");
  cpSync(src, dst, { recursive: true });
  return dst;
}

export function read(p: string): string {
  return readFileSync(p, "utf8");
}
