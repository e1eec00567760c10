// Which conventional files each node imports, in Nixverse's lookup order, answered from the
// scanned file set. Pure.

import type { Diagnostic } from "../errors.js";
import { diag } from "../errors.js";
import type { NamedFiles } from "./types.js";

export type FileSet = ReadonlySet<string>;

const unique = (xs: string[]) => [...new Set(xs)];

/** The directories searched for a node's per-node files, in order (recursiveFindFiles). */
export function lookupDirs(dir: string, groupNames: string[]): string[] {
  return [
    "nodes/common",
    "private/nodes/common",
    ...groupNames.flatMap((g) => [`nodes/${g}/common`, `private/nodes/${g}/common`]),
    dir,
    `private/${dir}`,
  ];
}

/** Existing `<d>/<name>` for every lookup dir, first occurrence kept. */
export function findFiles(files: FileSet, dirs: string[], name: string): string[] {
  return unique(dirs.map((d) => `${d}/${name}`).filter((f) => files.has(f)));
}

/**
 * Home files: users/<u>/home.nix or users/<u>/home/default.nix under each group common and
 * the node's dir (public, then private). Global nodes/common/users is not searched.
 */
export function findHomeFiles(
  files: FileSet,
  dir: string,
  groupNames: string[],
): { home: Record<string, string[]>; errors: Diagnostic[] } {
  const dirs = unique([
    ...groupNames.flatMap((g) => [`nodes/${g}/common/users`, `private/nodes/${g}/common/users`]),
    `${dir}/users`,
    `private/${dir}/users`,
  ]);
  const index = homeIndex(files);
  const home: Record<string, string[]> = {};
  const errors: Diagnostic[] = [];
  for (const d of dirs) {
    for (const u of index.get(d) ?? []) {
      const found = pickOne(files, `${d}/${u}`, "home", errors);
      if (found) (home[u] ??= []).push(found);
    }
  }
  return { home, errors };
}

/** users dir → sorted user names with a home file; built once per scanned tree (fleets are big). */
const homeIndexes = new WeakMap<FileSet, Map<string, string[]>>();
function homeIndex(files: FileSet): Map<string, string[]> {
  let index = homeIndexes.get(files);
  if (index) return index;
  const sets = new Map<string, Set<string>>();
  for (const f of files) {
    const m = /^(.*\/users)\/([^/]+)\/home(?:\.nix|\/default\.nix)$/.exec(f);
    if (!m) continue;
    const users = sets.get(m[1]!) ?? new Set<string>();
    users.add(m[2]!);
    sets.set(m[1]!, users);
  }
  index = new Map([...sets].map(([d, us]) => [d, [...us].sort()]));
  homeIndexes.set(files, index);
  return index;
}

/**
 * `<dir>/<name>.nix` or `<dir>/<name>/default.nix` (dir "" is the flake root); both is an error
 * (Nixverse's optionalImportPath).
 */
export function pickOne(
  files: FileSet,
  dir: string,
  name: string,
  errors: Diagnostic[],
): string | null {
  const base = dir ? `${dir}/` : "";
  const a = `${base}${name}/default.nix`;
  const b = `${base}${name}.nix`;
  const hasA = files.has(a);
  const hasB = files.has(b);
  if (hasA && hasB) {
    errors.push(bothExist(a, b));
    return null;
  }
  return hasA ? a : hasB ? b : null;
}

export function bothExist(a: string, b: string): Diagnostic {
  return diag(
    "both-exist",
    `Both ${a} and ${b} exist, only one is allowed`,
    { file: b },
    "delete or merge one of them",
  );
}

/**
 * Every `<name>.nix` and `<name>/default.nix` directly in each dir (allImportPathsInDirs):
 * name → paths over the dirs in order.
 */
export function allImportPaths(files: FileSet, dirs: string[], errors: Diagnostic[]): NamedFiles {
  const out: NamedFiles = {};
  for (const d of dirs) {
    const names = new Set<string>();
    for (const f of files) {
      if (!f.startsWith(`${d}/`)) continue;
      const m = /^([^/]+?)(?:\.nix|\/default\.nix)$/.exec(f.slice(d.length + 1));
      if (m) names.add(m[1]!);
    }
    for (const n of [...names].sort()) {
      const p = pickOne(files, d, n, errors);
      if (p) (out[n] ??= []).push(p);
    }
  }
  return sortKeys(out);
}

export function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `<dir>/secrets.yaml`  or `<dir>/secrets/default.yaml` (Nixverse), public or private. */
export function findNodeSecrets(
  files: FileSet,
  dir: string,
): { file: string | null; errors: Diagnostic[] } {
  const candidates = [
    `${dir}/secrets.yaml`,
    `${dir}/secrets/default.yaml`,
    `private/${dir}/secrets.yaml`,
    `private/${dir}/secrets/default.yaml`,
  ].filter((f) => files.has(f));
  if (candidates.length > 1) {
    return { file: null, errors: [bothExist(candidates[0]!, candidates[1]!)] };
  }
  return { file: candidates[0] ?? null, errors: [] };
}

export function findHostKeyPub(files: FileSet, dir: string): string | null {
  const rel = "fs/etc/ssh/ssh_host_ed25519_key.pub";
  return [`private/${dir}/${rel}`, `${dir}/${rel}`].find((f) => files.has(f)) ?? null;
}
