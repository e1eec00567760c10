// Finds the files that matter, once, with fast-glob. Everything after this stage asks the
// resulting Tree instead of the disk, so planning stays pure and fast.

import fg from "fast-glob";
import { stat } from "node:fs/promises";
import path from "node:path";

/** The conventional files of one layer (the public root, or private/), relative to that layer. */
const LAYER_PATTERNS = [
  "nodes/*",
  "nodes/*/*.nix",
  "nodes/*/secrets.yaml",
  "nodes/*/secrets/default.yaml",
  "nodes/*/fs/etc/ssh/ssh_host_ed25519_key.pub",
  "nodes/*/secrets/fs/etc/ssh/ssh_host_ed25519_key",
  "nodes/*/*/*.nix",
  "nodes/*/*/secrets.yaml",
  "nodes/*/*/secrets/default.yaml",
  "nodes/*/*/fs/etc/ssh/ssh_host_ed25519_key.pub",
  "nodes/*/*/secrets/fs/etc/ssh/ssh_host_ed25519_key",
  "nodes/*/users/*/home.nix",
  "nodes/*/users/*/home/default.nix",
  "nodes/*/*/users/*/home.nix",
  "nodes/*/*/users/*/home/default.nix",
  "lib.nix",
  "lib/default.nix",
  "pkgs/*.nix",
  "pkgs/*/default.nix",
  "modules/*/*.nix",
  "modules/*/*/default.nix",
  "outputs.nix",
  "outputs/default.nix",
  "outputs/flake/*.nix",
  "outputs/flake/*/default.nix",
  "outputs/perSystem/*.nix",
  "outputs/perSystem/*/default.nix",
  "secrets.yaml",
  ".sops.yaml",
  "Makefile",
];

/** Files only the public root has. */
const ROOT_ONLY = ["inputs.nix", "nixverse.yaml", "flake.nix"];

export interface NodesEntry {
  name: string;
  isDir: boolean;
}

export interface Tree {
  root: string;
  hasPrivate: boolean;
  /** Every matched file, relative to the root, "/"-separated (private ones under "private/"). */
  files: Set<string>;
  /** Direct entries of nodes/ and private/nodes/ (for name validation). */
  nodesEntries: { public: NodesEntry[]; private: NodesEntry[] };
}

export async function scanTree(root: string): Promise<Tree> {
  const hasPrivate = await isDir(path.join(root, "private"));
  const patterns = [
    ...LAYER_PATTERNS,
    ...ROOT_ONLY,
    ...(hasPrivate ? LAYER_PATTERNS.map((p) => `private/${p}`) : []),
  ];
  const found = await fg(patterns, {
    cwd: root,
    dot: true,
    onlyFiles: false,
    markDirectories: true,
    followSymbolicLinks: true,
    ignore: ["**/node_modules/**", "**/.git/**"],
  });
  const files = new Set<string>();
  const nodesEntries: Tree["nodesEntries"] = { public: [], private: [] };
  for (const f of found) {
    const isDirectory = f.endsWith("/");
    const rel = isDirectory ? f.slice(0, -1) : f;
    const m = /^(private\/)?nodes\/([^/]+)$/.exec(rel);
    if (m) {
      (m[1] ? nodesEntries.private : nodesEntries.public).push({ name: m[2]!, isDir: isDirectory });
      continue;
    }
    if (!isDirectory) files.add(rel);
  }
  const byName = (a: NodesEntry, b: NodesEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  nodesEntries.public.sort(byName);
  nodesEntries.private.sort(byName);
  return { root, hasPrivate, files, nodesEntries };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
