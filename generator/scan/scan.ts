// Finds the files that matter, once, with fast-glob. Everything after this stage asks the
// resulting Tree instead of the disk, so planning stays pure and fast.

import fg from "fast-glob";
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "../errors.js";
import { diag } from "../errors.js";

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
  "bundles/*/pkgs/*.nix",
  "bundles/*/pkgs/*/default.nix",
  "bundles/*/modules/*/*.nix",
  "bundles/*/modules/*/*/default.nix",
  // Home files in the layout before b1b80d5 (home/<user>/home.nix): found only to say where they go.
  "nodes/*/home/*/home.nix",
  "nodes/*/*/home/*/home.nix",
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
  /** Entries that would hang or break a later stage: FIFOs, broken links, links out of the tree. */
  problems: Diagnostic[];
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
    followSymbolicLinks: true,
    objectMode: true,
    stats: true,
    ignore: ["**/node_modules/**", "**/.git/**"],
  });
  const files = new Set<string>();
  const nodesEntries: Tree["nodesEntries"] = { public: [], private: [] };
  const problems: Diagnostic[] = [];
  const realRoot = await realpath(root);
  for (const { path: rel, dirent, stats } of found) {
    const isDirectory = dirent.isDirectory();
    const m = /^(private\/)?nodes\/([^/]+)$/.exec(rel);
    if (m) {
      (m[1] ? nodesEntries.private : nodesEntries.public).push({ name: m[2]!, isDir: isDirectory });
      const outside = await linkOutside(realRoot, path.join(root, rel));
      if (outside) problems.push(outsideTree(rel, outside));
      continue;
    }
    if (isDirectory) continue;
    if (!stats?.isFile()) problems.push(notAFile(rel, dirent.isSymbolicLink()));
    else files.add(rel);
  }
  for (const dir of hasPrivate ? ["nodes", "private/nodes"] : ["nodes"])
    problems.push(...(await undecodableNames(root, dir)));
  const byName = (a: NodesEntry, b: NodesEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  nodesEntries.public.sort(byName);
  nodesEntries.private.sort(byName);
  return { root, hasPrivate, files, nodesEntries, problems };
}

/** fast-glob cannot stat a name that is not UTF-8 (it only has the lossy string): report it. */
async function undecodableNames(root: string, rel: string): Promise<Diagnostic[]> {
  let names: Buffer[];
  try {
    names = await readdir(path.join(root, rel), { encoding: "buffer" });
  } catch {
    return [];
  }
  return names
    .filter((n) => !Buffer.from(n.toString("utf8")).equals(n))
    .map((n) => {
      const file = `${rel}/${n.toString("utf8")}`;
      return diag(
        "node-name-invalid",
        `"${[...n].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("")}" is not a valid node or group name (it is not valid UTF-8): ${file}`,
        { file },
        "rename it to ASCII letters, digits and -",
      );
    });
}

/** Where a symbolic link leads when that is outside the flake (Nix copies it as a dangling link). */
async function linkOutside(realRoot: string, full: string): Promise<string | null> {
  try {
    if (!(await lstat(full)).isSymbolicLink()) return null;
    const target = await realpath(full);
    return target === realRoot || target.startsWith(realRoot + path.sep) ? null : target;
  } catch {
    return null; // dangling: reported through its files, or harmless when empty
  }
}

function outsideTree(rel: string, target: string): Diagnostic {
  return diag(
    "node-outside-tree",
    `${rel} is a symbolic link to ${target}, outside the flake`,
    { file: rel },
    "the flake's copy in the Nix store cannot follow it: move the directory into the tree",
  );
}

function notAFile(rel: string, link: boolean): Diagnostic {
  return diag(
    "not-a-file",
    link
      ? `${rel} is a broken symbolic link`
      : `${rel} is not a regular file (a FIFO, socket or device)`,
    { file: rel },
    link ? "point the link at an existing file or remove it" : "replace it with a regular file",
  );
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}
