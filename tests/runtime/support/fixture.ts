// Fixture flakes on disk: a tree of files, and (for contract tests that do not go through the
// generator) a hand-written nixverse/fleet.nix + flake.nix exactly in the shape of
// docs/fleet-data.md.

import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { installRuntime, tempDir } from "./nix.js";

export type Tree = Record<string, string>;

export function writeTree(dir: string, tree: Tree): void {
  for (const [rel, content] of Object.entries(tree)) {
    const file = join(dir, rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
}

/** A temp flake dir holding a copy of `src` (e.g. a Nixverse test suite) plus `extra` files. */
export function fixtureDir(name: string, src: string | null, extra: Tree = {}): string {
  const dir = tempDir(name);
  if (src) cpSync(src, dir, { recursive: true });
  writeTree(dir, extra);
  return dir;
}

// ── hand-written fleet data (docs/fleet-data.md) ──

const nixString = (s: string) => JSON.stringify(s).replace(/\$\{/g, "\\${");
const nixPath = (rel: string) => `../${rel}`;
const list = (xs: string[]) => `[ ${xs.join(" ")} ]`;
const strings = (xs: string[]) => list(xs.map(nixString));
const paths = (xs: string[]) => list(xs.map(nixPath));
const attrs = (o: Record<string, string>) =>
  `{ ${Object.entries(o)
    .map(([k, v]) => `${nixString(k)} = ${v};`)
    .join(" ")} }`;

export interface NodeData {
  dir: string;
  os: "nixos" | "darwin";
  channel: string;
  system?: string | null;
  parents?: string[];
  groups?: string[];
  /** [file, attr] pairs; attr null for a node.nix. */
  meta: [string, string | null][];
  configuration?: string[];
  hardware?: string[];
  diskConfig?: string[];
  home?: Record<string, string[]>;
  secrets?: string | null;
}

export interface GroupData {
  dir: string;
  parents?: string[];
  groups?: string[];
  children: string[];
  descendants: string[];
  nodes: string[];
}

export interface FleetData {
  hasPrivate?: boolean;
  libInput?: string;
  lib?: string[];
  pkgs?: Record<string, string>;
  modules?: Partial<Record<"nixos" | "darwin" | "home" | "flake", Record<string, string[]>>>;
  outputs?: {
    flake?: Record<string, string[]>;
    perSystem?: Record<string, string[]>;
    flakeParts?: string[];
    systems?: string[] | null;
  };
  inputTables: Record<string, Record<string, string>>;
  nodes: Record<string, NodeData>;
  groups?: Record<string, GroupData>;
}

const named = (o: Record<string, string[]> = {}) =>
  attrs(Object.fromEntries(Object.entries(o).map(([k, v]) => [k, paths(v)])));

export function renderFleetNix(d: FleetData): string {
  const node = (n: NodeData) => `{
      dir = ${nixString(n.dir)};
      os = ${nixString(n.os)};
      channel = ${nixString(n.channel)};
      system = ${n.system ? nixString(n.system) : "null"};
      inputs = ${nixString(`${n.channel}/${n.os}`)};
      parents = ${strings(n.parents ?? [])};
      groups = ${strings(n.groups ?? [])};
      meta = [ ${n.meta.map(([f, a]) => `{ file = ${nixPath(f)}; attr = ${a === null ? "null" : nixString(a)}; }`).join(" ")} ];
      configuration = ${paths(n.configuration ?? [])};
      hardware = ${paths(n.hardware ?? [])};
      diskConfig = ${paths(n.diskConfig ?? [])};
      home = ${named(n.home)};
      secrets = ${n.secrets ? nixPath(n.secrets) : "null"};
      hostKeyPub = null;
    }`;
  const group = (g: GroupData) =>
    `{ dir = ${nixString(g.dir)}; parents = ${strings(g.parents ?? [])}; groups = ${strings(g.groups ?? [])}; children = ${strings(g.children)}; descendants = ${strings(g.descendants)}; nodes = ${strings(g.nodes)}; }`;
  const o = d.outputs ?? {};
  return `# hand-written fleet data (docs/fleet-data.md)
{
  version = 1;
  hasPrivate = ${d.hasPrivate ? "true" : "false"};
  libInput = ${nixString(d.libInput ?? "nixpkgs-unstable")};
  lib = ${paths(d.lib ?? [])};
  pkgs = ${attrs(Object.fromEntries(Object.entries(d.pkgs ?? {}).map(([k, v]) => [k, nixPath(v)])))};
  modules = {
    nixos = ${named(d.modules?.nixos)};
    darwin = ${named(d.modules?.darwin)};
    home = ${named(d.modules?.home)};
    flake = ${named(d.modules?.flake)};
  };
  outputs = {
    flake = ${named(o.flake)};
    perSystem = ${named(o.perSystem)};
    flakeParts = ${paths(o.flakeParts ?? [])};
    systems = ${o.systems ? strings(o.systems) : "null"};
  };
  inputTables = ${attrs(Object.fromEntries(Object.entries(d.inputTables).map(([k, t]) => [k, attrs(Object.fromEntries(Object.entries(t).map(([e, i]) => [e, nixString(i)])))])))};
  nodes = {
${Object.entries(d.nodes)
  .map(([name, n]) => `    ${nixString(name)} = ${node(n)};`)
  .join("\n")}
  };
  groups = ${attrs(Object.fromEntries(Object.entries(d.groups ?? {}).map(([k, g]) => [k, group(g)])))};
}
`;
}

/** flake.nix calling the runtime exactly as docs/fleet-data.md shows. */
export function renderFlakeNix(inputNames: string[], d: FleetData): string {
  const byOs = (os: string) =>
    Object.entries(d.nodes)
      .filter(([, n]) => n.os === os)
      .map(([name]) => `${nixString(name)} = fleet.system ${nixString(name)};`)
      .join(" ");
  return `{
  inputs = {
${inputNames.map((n) => `    ${n}.url = "github:example/${n}";`).join("\n")}
  };
  outputs =
    inputs:
    let
      fleet = import ./nixverse/lib {
        inherit inputs;
        flakePath = ./.;
        data = import ./nixverse/fleet.nix;
      };
    in
    fleet.userOutputs
    // {
      nixosConfigurations = { ${byOs("nixos")} };
      darwinConfigurations = { ${byOs("darwin")} };
      lib = fleet.userLib;
      apps = fleet.apps;
      nixverse = fleet.public;
    };
}
`;
}

/** A complete hand-made flake: tree + fleet data + flake.nix + the runtime library. */
export function handFlake(
  name: string,
  src: string | null,
  tree: Tree,
  inputNames: string[],
  data: FleetData,
): string {
  const dir = fixtureDir(name, src, tree);
  writeTree(dir, {
    "nixverse/fleet.nix": renderFleetNix(data),
    "flake.nix": renderFlakeNix(inputNames, data),
  });
  installRuntime(dir);
  return dir;
}
