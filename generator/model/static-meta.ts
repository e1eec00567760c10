// os, channel and system must be known without evaluating Nix: they choose the flake's inputs,
// which Nix requires to be literal. This resolves them from a node's meta definitions with the
// module system's priority rules (docs/meta.md).

import type { Diagnostic, Location, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { ParsedFile } from "../nix/ast.js";
import type { StaticDef } from "../nix/static.js";
import { resolveStatic, staticMetaDefs } from "../nix/static.js";
import type { RawDef } from "./entities.js";
import type { Os, Resolved } from "./types.js";

const OPTIONS = ["os", "channel", "system", "tags"] as const;
type Defs = Record<string, StaticDef[]>;

export interface StaticMeta {
  os: Resolved<Os>;
  channel: Resolved<string>;
  system: Resolved<string> | null;
  /** The literal `tags` list (for @tag selection): the definitions at the winning priority, concatenated, each tag once. */
  tags: string[];
  /**
   * Why the node is incomplete (no channel, no os/system, an unsupported system), else null. Such a
   * node never blocks the fleet (Nixverse fails only when it is built): gen warns, and evaluating
   * it throws this message. os and channel are then placeholders ("nixos", "unstable") for the
   * parts that are known, so the node keeps its place in the fleet's structure.
   */
  problem: Diagnostic | null;
}

/** Caches per definition: a group's `common` is read once however many nodes it reaches. */
export class StaticMetaReader {
  private cache = new Map<string, Result<Defs>>();
  constructor(private load: (file: string) => Result<ParsedFile>) {}

  defsOf(def: RawDef): Result<Defs> {
    const key = `${def.file}#${def.attr ?? ""}`;
    let r = this.cache.get(key);
    if (!r) {
      r = staticMetaDefs(def.expr, def.file, OPTIONS, this.load);
      this.cache.set(key, r);
    }
    return r;
  }
}

function locOf(l: Location) {
  return { file: l.file, line: l.line, column: l.column };
}

export function resolveNodeMeta(
  node: string,
  defs: RawDef[],
  reader: StaticMetaReader,
): Result<StaticMeta> {
  const errors: Diagnostic[] = [];
  const all: Defs = { os: [], channel: [], system: [], tags: [] };
  for (const d of defs) {
    const r = reader.defsOf(d);
    if (!r.ok) {
      errors.push(...r.errors);
      continue;
    }
    for (const o of OPTIONS) all[o]!.push(...(r.value[o] ?? []));
  }
  if (errors.length) return fail(...errors);

  const resolved: Record<string, StaticDef | null> = {};
  const tags = resolveTags(node, all.tags!);
  if (!tags.ok) return tags;
  for (const o of ["os", "channel", "system"]) {
    const r = resolveStatic(o, all[o]!);
    if (!r.ok) errors.push(...r.errors);
    else resolved[o] = r.value;
  }
  if (errors.length) return fail(...errors);

  const where = defs[defs.length - 1]?.loc;
  const at = where ? locOf(where) : undefined;
  const str = (o: string): Resolved<string> | null => {
    const d = resolved[o];
    if (!d) return null;
    if (typeof d.value !== "string") {
      errors.push(diag("meta-type", `${o} of node ${node} must be a string`, locOf(d.loc)));
      return null;
    }
    return { value: d.value, priority: d.priority, loc: d.loc };
  };
  const system = str("system");
  const osDef = str("os");
  const channel = str("channel");
  if (errors.length) return fail(...errors);

  let os: Resolved<Os> | null = null;
  let problem: Diagnostic | null = null;
  if (osDef) {
    if (osDef.value !== "nixos" && osDef.value !== "darwin") {
      return fail(
        diag(
          "meta-os-invalid",
          `os of node ${node} is "${osDef.value}", expected "nixos" or "darwin"`,
          locOf(osDef.loc),
        ),
      );
    }
    os = { ...osDef, value: osDef.value };
  }
  if (system) {
    const implied: Os | null = system.value.endsWith("-linux")
      ? "nixos"
      : system.value.endsWith("-darwin")
        ? "darwin"
        : null;
    if (!implied) {
      problem = diag(
        "meta-system-invalid",
        `Unsupported host system \`${system.value}\` for host \`${node}\``,
        locOf(system.loc),
        'use a *-linux system for NixOS or a *-darwin system for nix-darwin, e.g. "x86_64-linux"',
      );
    } else if (os && os.value !== implied) {
      return fail(
        diag(
          "meta-conflict",
          `node ${node}: system "${system.value}" implies os "${implied}", but os is "${os.value}" (${os.loc.file}:${os.loc.line}:${os.loc.column})`,
          locOf(system.loc),
          "drop the os definition: system implies it",
        ),
      );
    } else os ??= { value: implied, priority: system.priority, loc: system.loc };
  }
  if (channel && (channel.value === "" || channel.value === "any")) {
    return fail(
      diag(
        "meta-channel-invalid",
        `channel of node ${node} cannot be ${JSON.stringify(channel.value)}`,
        locOf(channel.loc),
        '"any" is the suffix for inputs shared by every channel; use e.g. "unstable" or "stable"',
      ),
    );
  }
  // Nixverse HEAD's words and order (host.nix): channel first, then system.
  if (!channel) {
    problem ??= diag(
      "meta-channel-missing",
      `Missing required meta configuration \`channel\` for host \`${node}\``,
      at,
      'set channel = "unstable"; (or another channel) in its node.nix/host.nix or a parent group\'s common',
    );
  } else if (!os && !system) {
    problem ??= diag(
      "meta-system-missing",
      `Missing required meta configuration \`system\` for host \`${node}\``,
      at,
      'set system = "x86_64-linux"; (or another system, or os = "nixos"; or "darwin") in its node.nix/host.nix or a parent group\'s common',
    );
  }
  const placeholder = { priority: 1500, loc: at ?? { file: node, line: 1, column: 1 } };
  return ok({
    os: os ?? { value: "nixos", ...placeholder },
    channel: channel ?? { value: "unstable", ...placeholder },
    system,
    tags: tags.value,
    problem,
  });
}

/** listOf's merge: the lists at the winning priority, concatenated (in definition order). */
function resolveTags(node: string, defs: StaticDef[]): Result<string[]> {
  if (defs.length === 0) return ok([]);
  const best = Math.min(...defs.map((d) => d.priority));
  const out: string[] = [];
  for (const d of defs.filter((x) => x.priority === best)) {
    if (!Array.isArray(d.value))
      return fail(
        diag(
          "meta-type",
          `tags of node ${node} must be a list of strings`,
          locOf(d.loc),
          'write e.g. tags = [ "web" ];',
        ),
      );
    out.push(...d.value);
  }
  return ok([...new Set(out)]);
}
