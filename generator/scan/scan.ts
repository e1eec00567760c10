// Finds the files that matter, once. Everything after this stage asks the resulting Tree instead
// of the disk, so planning stays pure and fast. The patterns below only use `*` within one path
// segment, so a walk that lists each directory once does it; a glob engine cost more to load and
// compile than the whole walk (it ran on every `gen --check` in a pre-commit hook).

import type { Dirent, Stats } from "node:fs";
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
  const problems: Diagnostic[] = [];
  const found = await walk(root, patterns, problems);
  const files = new Set<string>();
  const nodesEntries: Tree["nodesEntries"] = { public: [], private: [] };
  const realRoot = await realpath(root);
  for (const { path: rel, dirent, stats } of found) {
    const isDirectory = stats?.isDirectory() ?? false;
    const m = /^(private\/)?nodes\/([^/]+)$/.exec(rel);
    if (m) {
      (m[1] ? nodesEntries.private : nodesEntries.public).push({ name: m[2]!, isDir: isDirectory });
      const outside = await linkOutside(realRoot, path.join(root, rel));
      if (outside) problems.push(outsideTree(rel, outside));
      continue;
    }
    if (isDirectory) continue;
    if (!stats?.isFile())
      problems.push(notAFile(rel, stats?.isSymbolicLink() ?? dirent.isSymbolicLink()));
    else files.add(rel);
  }
  for (const dir of hasPrivate ? ["nodes", "private/nodes"] : ["nodes"])
    problems.push(...(await undecodableNames(root, dir)));
  const byName = (a: NodesEntry, b: NodesEntry) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  nodesEntries.public.sort(byName);
  nodesEntries.private.sort(byName);
  return { root, hasPrivate, files, nodesEntries, problems };
}

interface Found {
  path: string;
  dirent: Dirent;
  /** The entry's target (links followed), or the link itself when it dangles. */
  stats: Stats | null;
}

/** Directory names never looked into, wherever a `*` meets them. */
const IGNORED = new Set(["node_modules", ".git"]);

const segmentMatches = (pattern: string, name: string): boolean =>
  pattern === "*"
    ? !IGNORED.has(name)
    : pattern.startsWith("*")
      ? name.endsWith(pattern.slice(1)) && name.length > pattern.length - 1
      : pattern === name;

/**
 * Every path matching one of the patterns (segments are names, `*` or `*<suffix>`), each once,
 * sorted; links are followed. A file where a pattern's fixed leading directories should be (a
 * `pkgs` file) is a problem, not something to skip silently.
 */
async function walk(root: string, patterns: string[], problems: Diagnostic[]): Promise<Found[]> {
  const listings = new Map<string, Promise<Dirent[] | null>>();
  const list = (rel: string) => {
    let l = listings.get(rel);
    if (!l) {
      l = readdir(path.join(root, rel), { withFileTypes: true }).catch(() => null);
      listings.set(rel, l);
    }
    return l;
  };
  const stats = new Map<string, Promise<Stats | null>>();
  const statOf = (rel: string) => {
    let st = stats.get(rel);
    if (!st) {
      const full = path.join(root, rel);
      st = stat(full).catch(() => lstat(full).catch(() => null));
      stats.set(rel, st);
    }
    return st;
  };
  const found = new Map<string, Found>();
  const notADir = new Set<string>();
  const step = async (dir: string, segments: string[], fixed: boolean): Promise<void> => {
    const entries = await list(dir);
    if (!entries) return;
    const [seg, ...rest] = segments as [string, ...string[]];
    await Promise.all(
      entries
        .filter((e) => segmentMatches(seg, e.name))
        .map(async (e) => {
          const rel = dir ? `${dir}/${e.name}` : e.name;
          const st = await statOf(rel);
          if (rest.length === 0) {
            found.set(rel, { path: rel, dirent: e, stats: st });
            return;
          }
          if (st?.isDirectory()) return step(rel, rest, fixed && seg !== "*");
          // Only the fixed leading part counts: below a `*` a file is just another entry.
          if (fixed && !seg.includes("*") && rest.some((r) => r.includes("*"))) notADir.add(rel);
        }),
    );
  };
  await Promise.all(patterns.map((p) => step("", p.split("/"), true)));
  for (const rel of [...notADir].sort())
    problems.push(
      diag(
        "not-a-directory",
        "a file where a directory belongs",
        { file: rel },
        "rename or remove the file",
      ),
    );
  return [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A name that is not UTF-8 cannot be stat-ed through the lossy string readdir returns: report it. */
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
