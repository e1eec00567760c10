// Which flake inputs the tree needs : the user's own from inputs.nix, plus the
// conventional ones the nodes need and nobody declared, plus the per-(channel, os) renaming tables.

import type { Config } from "../config/config.js";
import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { FleetModel, NodeModel, Os } from "../model/types.js";
import type { Need } from "./channels.js";
import { companionUrl, conventionalUrl, releaseOfPin } from "./channels.js";
import { conventionalName, renameTable } from "./rename.js";

export interface AddedInput {
  name: string;
  url: string;
  /** The nixpkgs input this one's `inputs.nixpkgs` follows. */
  follows: string | null;
  /** Why it was added, for the comment above it and the message printed. */
  reason: string;
}

export interface InputsPlan {
  declared: string[];
  added: AddedInput[];
  /** "channel/os" → exposed name → input name. */
  tables: Record<string, Record<string, string>>;
  libInput: string;
  /**
   * Nodes on a channel whose inputs are neither declared nor known: incomplete, not fatal (the
   * fleet builds; evaluating such a node throws this). Nodes the model found incomplete already
   * need no inputs.
   */
  problems: Record<string, Diagnostic>;
}

export const pairKey = (channel: string, os: Os) => `${channel}/${os}`;

const NEED_ORDER: Need[] = ["nixpkgs", "nix-darwin", "home-manager", "sops-nix", "disko"];

function needsOf(n: NodeModel): Need[] {
  const needs: Need[] = ["nixpkgs"];
  if (n.os.value === "darwin") needs.push("nix-darwin");
  if (Object.keys(n.home).length) needs.push("home-manager");
  if (n.secretsFile) needs.push("sops-nix");
  if (n.os.value === "nixos" && n.diskConfig.length) needs.push("disko");
  return needs;
}

function listNodes(names: string[]): string {
  return names.length > 4
    ? `${names.slice(0, 4).join(", ")} and ${names.length - 4} more`
    : names.join(", ");
}

export function planInputs(
  model: FleetModel,
  declared: string[],
  config: Config,
  declaredUrls: Record<string, string> = {},
): Result<InputsPlan> {
  const errors: Diagnostic[] = [];
  const problems: Record<string, Diagnostic> = {};
  const nodes = Object.values(model.nodes).filter((n) => !n.problem);
  // (pair → need → nodes), pairs and needs in a stable order.
  const pairs = new Map<string, { channel: string; os: Os; needs: Map<Need, NodeModel[]> }>();
  for (const n of nodes) {
    const key = pairKey(n.channel.value, n.os.value);
    let p = pairs.get(key);
    if (!p) pairs.set(key, (p = { channel: n.channel.value, os: n.os.value, needs: new Map() }));
    for (const need of needsOf(n)) p.needs.set(need, [...(p.needs.get(need) ?? []), n]);
  }
  const sortedPairs = [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : 1));

  const names = new Set(declared);
  const added: AddedInput[] = [];
  const addedByName = new Map<string, AddedInput & { nodes: string[]; pin?: string | null }>();
  for (const need of NEED_ORDER) {
    for (const [, p] of sortedPairs) {
      const users = p.needs.get(need);
      if (!users) continue;
      const provider = renameTable([...names], p.channel, p.os)[need];
      if (provider) {
        // Shared by several (channel, os) pairs, e.g. nixpkgs-unstable for nixos and darwin.
        addedByName.get(provider)?.nodes.push(...users.map((u) => u.name));
        continue;
      }
      const name = conventionalName(need, p.channel, p.os);
      const url = conventionalUrl(need, p.channel, p.os, config);
      if (url === null) {
        // Nixverse HEAD's words (getUserInputs.nix); the node, not the fleet, is what fails.
        for (const u of users) {
          problems[u.name] ??= diag(
            "input-missing",
            `Missing the flake input ${name}, required by host ${u.name}`,
            u.channel.loc,
            `declare ${name} (or ${need}-${p.channel}, or ${need}-any) in inputs.nix, or give its URL under channels.${p.channel} in nixverse.yaml`,
          );
        }
        continue;
      }
      const follows =
        need === "nixpkgs" ? null : (renameTable([...names], p.channel, p.os).nixpkgs ?? null);
      // nix-darwin and home-manager throw when their branch is not the release of the nixpkgs
      // they follow: a nixpkgs pinned in inputs.nix decides which branch is added.
      const pinned = follows === null ? undefined : declaredUrls[follows];
      const release = pinned === undefined ? null : releaseOfPin(pinned);
      const matching =
        release !== null && (need === "nix-darwin" || need === "home-manager")
          ? companionUrl(need, release)
          : url;
      const entry = {
        name,
        url: matching,
        follows,
        reason: "",
        pin: matching !== url ? `${follows} is ${release}` : null,
        nodes: users.map((u) => u.name),
      };
      addedByName.set(name, entry);
      names.add(name);
    }
  }
  if (errors.length) return fail(...errors);

  if (model.outputs.flakeParts.length && !names.has("flake-parts")) {
    addedByName.set("flake-parts", {
      name: "flake-parts",
      url: "github:hercules-ci/flake-parts",
      follows: null,
      reason: `${model.outputs.flakeParts.join(", ")} is a flake-parts module`,
      nodes: [],
    });
    names.add("flake-parts");
  }

  let libInput = names.has("nixpkgs-unstable")
    ? "nixpkgs-unstable"
    : (sortedPairs.map(([, p]) => renameTable([...names], p.channel, p.os).nixpkgs).find(Boolean) ??
      null);
  if (libInput === null) {
    libInput = "nixpkgs-unstable";
    addedByName.set(libInput, {
      name: libInput,
      url: conventionalUrl("nixpkgs", "unstable", "nixos", config)!,
      follows: null,
      reason: "lib for lib', pkgs' and outputs",
      nodes: [],
    });
    names.add(libInput);
  }

  for (const a of addedByName.values()) {
    if (a.nodes.length) {
      a.nodes.sort();
      const n = model.nodes[a.nodes[0]!]!;
      const what = a.name.startsWith("nixpkgs-")
        ? `channel "${n.channel.value}"${n.channel.value === "unstable" ? "" : `, os ${n.os.value}`}`
        : a.name.startsWith("home-manager-")
          ? "home-manager users"
          : a.name.startsWith("sops-nix-")
            ? "secrets"
            : a.name.startsWith("disko-")
              ? "disk-config.nix"
              : "os darwin";
      a.reason = `${listNodes(a.nodes)}: ${what}${a.pin ? ` (the release of ${a.pin})` : ""}`;
    }
    added.push({ name: a.name, url: a.url, follows: a.follows, reason: a.reason });
  }
  added.sort((a, b) => (a.name < b.name ? -1 : 1));

  const all = [...names];
  const tables: InputsPlan["tables"] = {};
  for (const [key, p] of sortedPairs) tables[key] = renameTable(all, p.channel, p.os);
  // pkgs' files get inputs' (Nixverse HEAD); outputs call them on the unstable channel.
  if (Object.keys(model.pkgs).length) {
    for (const os of ["nixos", "darwin"] as const)
      tables[pairKey("unstable", os)] ??= renameTable(all, "unstable", os);
  }
  const sortedTables = Object.fromEntries(
    Object.entries(tables).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return ok({ declared, added, tables: sortedTables, libInput, problems });
}
