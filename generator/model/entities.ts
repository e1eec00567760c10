// Nodes and groups from the entity files, with Nixverse's linking rules
// and its definition and ancestor orders. Pure: the caller has read and parsed files.

import type { Diagnostic, Location, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { Expr } from "../nix/ast.js";
import type { NodesEntry } from "../scan/scan.js";
import { checkEntityName } from "./names.js";
import { closest } from "../suggest.js";

export type Layer = "public" | "private";

interface EntityFileBase {
  layer: Layer;
  name: string;
  /** Relative path, e.g. "private/nodes/web/group.nix". */
  file: string;
  /** Where the file's expression starts. */
  loc: Location;
}

/** A node.nix/host.nix or group.nix found at nodes/<name>/ of one layer. */
export type EntityFile =
  | (EntityFileBase & { kind: "node"; /** The root expression. */ expr: Expr })
  | (EntityFileBase & { kind: "group"; /** Its top-level keys. */ bindings: GroupBinding[] });

export interface GroupBinding {
  name: string;
  loc: Location;
  value: Expr;
}

/** A meta definition with the expression the static evaluator reads. */
export interface RawDef {
  file: string;
  attr: string | null;
  loc: Location;
  expr: Expr;
}

const bindingsOf = (f: EntityFile): GroupBinding[] => (f.kind === "group" ? f.bindings : []);

export interface LinkedNode {
  name: string;
  dir: string;
  createdByGroup: boolean;
  parents: string[];
  groupNames: string[];
  defs: RawDef[];
}

export interface LinkedGroup {
  name: string;
  dir: string;
  files: string[];
  parents: string[];
  groupNames: string[];
  children: string[];
  descendants: string[];
  nodes: string[];
}

export interface Entities {
  nodes: Map<string, LinkedNode>;
  groups: Map<string, LinkedGroup>;
}

/** Name rules for every entry of nodes/ (names.ts): files count too, `common` is exempt. */
export function checkEntryNames(entries: {
  public: NodesEntry[];
  private: NodesEntry[];
}): Diagnostic[] {
  const errors: Diagnostic[] = [];
  for (const layer of ["public", "private"] as const) {
    const prefix = layer === "private" ? "private/nodes" : "nodes";
    for (const e of entries[layer]) {
      if (e.name === "common") continue;
      const file = `${prefix}/${e.name}`;
      const bad = checkEntityName(
        e.name,
        { file },
        e.isDir
          ? "rename the directory; names become attribute names, host names and file names"
          : "only node and group directories belong directly under nodes/: move this file elsewhere",
      );
      if (bad) {
        errors.push(bad);
      } else if (e.name === "current") {
        errors.push(
          diag(
            "node-name-reserved",
            `Node name "current" is reserved: ${file}`,
            { file },
            "`nodes.current` always means the node being evaluated; pick another name",
          ),
        );
      }
    }
  }
  return errors;
}

interface Raw {
  type: "node" | "group" | null;
  dir?: string;
  parentName?: string;
  def?: EntityFile;
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const uniqueSorted = (xs: Iterable<string>) => [...new Set(xs)].sort(byString);

function at(f: { file: string; loc: Location }) {
  return { file: f.file, line: f.loc.line, column: f.loc.column };
}

/**
 * Links entity files into nodes and groups. `files` must hold at most one file per
 * (layer, name) — the caller reports node.nix+group.nix in one directory.
 */
export function linkEntities(files: EntityFile[]): Result<Entities> {
  const errors: Diagnostic[] = [];

  // Sliced: per name, the public raw then the private one.
  const sliced = new Map<string, EntityFile[]>();
  for (const f of [...files].sort((a, b) =>
    a.layer === b.layer ? byString(a.name, b.name) : a.layer === "public" ? -1 : 1,
  )) {
    const list = sliced.get(f.name) ?? [];
    list.push(f);
    sliced.set(f.name, list);
  }
  for (const [name, raws] of sliced) {
    const [first, second] = raws;
    if (first && second && first.kind !== second.kind) {
      errors.push(
        diag(
          "entity-type-clash",
          `${name} cannot simultaneously be a ${first.kind} (${first.file}) and a ${second.kind} (${second.file})`,
          at(second),
          "a name is either a node or a group in both the public tree and private/",
        ),
      );
    }
    for (const raw of raws) {
      if (raw.kind !== "group") continue;
      for (const b of bindingsOf(raw)) {
        const where = { file: raw.file, line: b.loc.line, column: b.loc.column };
        const bad =
          b.name === "common"
            ? null
            : checkEntityName(b.name, where, "rename the key; it names a node or group");
        if (bad) {
          errors.push(bad);
        } else if (b.name === "current") {
          errors.push(
            diag(
              "node-name-reserved",
              `Node name "current" is reserved: ${raw.file}`,
              { file: raw.file, line: b.loc.line, column: b.loc.column },
              "`nodes.current` always means the node being evaluated; pick another name",
            ),
          );
        } else if (b.name !== "common" && closest(b.name, ["common"]) !== null) {
          // `comon = { … }` would silently become a node with the group's meta missing.
          errors.push(
            diag(
              "group-key-common",
              `"${b.name}" in ${raw.file} would be a member node: did you mean common?`,
              { file: raw.file, line: b.loc.line, column: b.loc.column },
              "common = { … }; is the meta configuration every member gets",
            ),
          );
        } else if (b.name === name) {
          errors.push(
            diag(
              "group-contains-itself",
              `Group cannot contain itself: ${raw.file}`,
              { file: raw.file, line: b.loc.line, column: b.loc.column },
              `remove the "${name}" key from its own group.nix`,
            ),
          );
        }
      }
    }
  }
  if (errors.length) return fail(...errors);

  // Expanded: group-child raws first (groups alphabetically, public def before private), then
  // each name's own raws.
  const expanded = new Map<string, Raw[]>();
  const push = (name: string, raw: Raw) => {
    const list = expanded.get(name) ?? [];
    list.push(raw);
    expanded.set(name, list);
  };
  const names = [...sliced.keys()].sort(byString);
  for (const name of names) {
    const raws = sliced.get(name)!;
    if (raws[0]!.kind !== "group") continue;
    for (const raw of raws) {
      const children = bindingsOf(raw)
        .map((b) => b.name)
        .filter((c) => c !== "common");
      for (const child of uniqueSorted(children)) {
        push(child, { type: null, dir: `nodes/${name}/${child}`, parentName: name });
      }
    }
  }
  for (const name of names) {
    for (const def of sliced.get(name)!) push(name, { type: def.kind, def });
  }

  // Linked: type, dir, parents, (groups) children.
  interface Linked {
    name: string;
    type: "node" | "group";
    dir: string;
    createdByGroup: boolean;
    defs: EntityFile[];
    parentNames: string[];
    childNames: string[];
  }
  const linked = new Map<string, Linked>();
  for (const [name, raws] of [...expanded].sort(([a], [b]) => byString(a, b))) {
    const reversed = [...raws].reverse();
    const base = reversed.find((r) => r.type !== null) ?? reversed[0]!;
    const type = base.type ?? "node";
    const defs = raws.flatMap((r) => (r.def ? [r.def] : []));
    linked.set(name, {
      name,
      type,
      dir: base.dir ?? `nodes/${name}`,
      createdByGroup: base.type === null,
      defs,
      parentNames: uniqueSorted(raws.flatMap((r) => (r.parentName ? [r.parentName] : []))),
      childNames:
        type === "group"
          ? uniqueSorted(
              defs.flatMap((d) => bindingsOf(d).map((b) => b.name)).filter((c) => c !== "common"),
            )
          : [],
    });
  }

  // Cycles, before any walk that would loop forever.
  const reported = new Set<string>();
  const acyclic = new Set<string>();
  for (const g of linked.values()) {
    if (g.type !== "group") continue;
    const cycle = findCycle(g.name, linked, acyclic);
    if (!cycle) continue;
    const key = [...new Set(cycle)].sort(byString).join(",");
    if (reported.has(key)) continue;
    reported.add(key);
    // cycle = [a, b, …, a] read "a ⊇ b ⊇ … ⊇ a": the last group.nix lists the first name again.
    const container = linked.get(cycle[cycle.length - 2]!)!;
    const where = bindingLoc(container.defs, cycle[cycle.length - 1]!);
    errors.push(
      diag(
        "group-cycle",
        `cyclic group containment: ${cycle.join(" ⊇ ")}`,
        where,
        "a group cannot (indirectly) contain itself; remove one of these keys",
      ),
    );
  }
  if (errors.length) return fail(...errors);

  const get = (n: string) => linked.get(n)!;

  // Nixverse's walks below fold over every path up (or down) the group graph, so with
  // diamond-shaped groups (each listing both groups of the next level) their results grow
  // exponentially, mostly with repeats. Each fold only prepends (appends) to its accumulator, so
  // the walk from a name is its parents' walks in a fixed order around the name's own part:
  // memoised per name and deduplicated (first occurrence kept), the order of first occurrences
  // is Nixverse's, and the cost is polynomial (README "Groups").
  const memo = <T>(f: (name: string, self: (n: string) => T[]) => T[], key: (t: T) => unknown) => {
    const cache = new Map<string, T[]>();
    const self = (name: string): T[] => {
      let v = cache.get(name);
      if (!v) {
        v = dedupe(f(name, self), key);
        cache.set(name, v);
      }
      return v;
    };
    return self;
  };

  // groupNames: walk(parentNames) ++ parentNames, walk prepending each level's parents:
  // up(n) = up(p_k) ++ … ++ up(p_1) ++ parents(n).
  const up = memo<string>(
    (n, self) => {
      const parents = get(n).parentNames;
      return [...[...parents].reverse().flatMap(self), ...parents];
    },
    (x) => x,
  );
  const groupNamesOf = (e: Linked): string[] => up(e.name);

  // Definition order: depth-first pre-order up the parent graph, each level prepended:
  // defsUp(n) = defsUp(p_k) ++ … ++ defsUp(p_1) ++ (each parent's common and n entries).
  const defsUp = memo<RawDef>(
    (childName, self) => {
      const parents = get(childName).parentNames;
      const level = parents.flatMap((p) =>
        get(p).defs.flatMap((def) => {
          const out: RawDef[] = [];
          const common = bindingsOf(def).find((b) => b.name === "common");
          if (common) out.push(groupDef(def, common));
          const own = bindingsOf(def).find((b) => b.name === childName);
          if (own) out.push(groupDef(def, own));
          return out;
        }),
      );
      return [...[...parents].reverse().flatMap(self), ...level];
    },
    (d) => `${d.file}#${d.attr}`,
  );
  const defsOf = (e: Linked): RawDef[] => {
    const own: RawDef[] = e.defs.flatMap((d) =>
      d.kind === "node" ? [{ file: d.file, attr: null, loc: d.loc, expr: d.expr }] : [],
    );
    return [...defsUp(e.name), ...own];
  };

  // Descendants: childNames ++ DFS appending each level's children:
  // down(n) = children(n) ++ down(c_1) ++ … ++ down(c_k).
  const down = memo<string>(
    (n, self) => {
      const children = get(n).childNames;
      return [...children, ...children.flatMap(self)];
    },
    (x) => x,
  );
  const descendantsOf = (e: Linked): string[] => down(e.name);

  const result: Entities = { nodes: new Map(), groups: new Map() };
  for (const e of linked.values()) {
    if (e.type === "node") {
      result.nodes.set(e.name, {
        name: e.name,
        dir: e.dir,
        createdByGroup: e.createdByGroup,
        parents: e.parentNames,
        groupNames: groupNamesOf(e),
        defs: defsOf(e),
      });
    } else {
      const descendants = descendantsOf(e);
      const nodes = uniqueSorted(descendants.filter((d) => get(d).type === "node"));
      const firstFile = e.defs[0]!;
      if (nodes.length === 0) {
        errors.push(
          diag(
            "group-empty",
            `Group is empty: ${firstFile.file}`,
            at(firstFile),
            "list at least one node in it (directly or through a child group), or delete the group",
          ),
        );
      }
      result.groups.set(e.name, {
        name: e.name,
        dir: e.dir,
        files: e.defs.map((d) => d.file),
        parents: e.parentNames,
        groupNames: groupNamesOf(e),
        children: e.childNames,
        descendants: [...new Set(descendants)],
        nodes,
      });
    }
  }
  if (errors.length) return fail(...errors);
  return ok(result);
}

function dedupe<T>(xs: T[], key: (t: T) => unknown): T[] {
  const seen = new Set<unknown>();
  return xs.filter((x) => {
    const k = key(x);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function groupDef(def: EntityFile, b: GroupBinding): RawDef {
  return { file: def.file, attr: b.name, loc: b.loc, expr: b.value };
}

function bindingLoc(defs: EntityFile[], key: string) {
  for (const d of defs) {
    const b = bindingsOf(d).find((x) => x.name === key);
    if (b) return { file: d.file, line: b.loc.line, column: b.loc.column };
  }
  const d = defs[0]!;
  return at(d);
}

/**
 * Walks up from a group; returns the containment chain when it comes back to a name on the path.
 * `acyclic` holds names already known to lead to no cycle (shared across starts), so a diamond of
 * groups is walked once per name, not once per path.
 */
function findCycle(
  start: string,
  linked: Map<string, { parentNames: string[] }>,
  acyclic: Set<string> = new Set(),
): string[] | null {
  // path is kept child-first: [start]; walking to parent p makes "p ⊇ …".
  const onPath = new Set<string>([start]);
  const walk = (name: string, path: string[]): string[] | null => {
    for (const p of linked.get(name)?.parentNames ?? []) {
      // Keep only the loop itself: an ancestor cycle reached from outside is reported once.
      if (onPath.has(p)) return [p, ...path.slice(0, path.indexOf(p) + 1)];
      if (acyclic.has(p)) continue;
      onPath.add(p);
      const found = walk(p, [p, ...path]);
      onPath.delete(p);
      if (found) return found;
      acyclic.add(p);
    }
    return null;
  };
  const found = walk(start, [start]);
  if (!found) acyclic.add(start);
  return found;
}
