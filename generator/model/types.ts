// The fleet as the generator understands it: everything knowable from files and names.
// Paths are relative to the flake root, with "/" separators, e.g. "nodes/web/web1/configuration.nix".

import type { Diagnostic, Location } from "../errors.js";

export type Os = "nixos" | "darwin";

/** One meta definition, in Nixverse's definition order (docs/fleet-data.md). */
export interface MetaDef {
  /** The file holding it: a node.nix/host.nix, or a group.nix. */
  file: string;
  /** The group.nix attribute ("common" or a child name); null for a node's own node.nix. */
  attr: string | null;
  /** Where the definition starts (for messages). */
  loc: Location;
}

/** A statically resolved meta value and the definition that decided it. */
export interface Resolved<T> {
  value: T;
  /** Module-system priority of the winning definition (mkForce 50, plain 100, mkDefault 1000). */
  priority: number;
  loc: Location;
}

export interface NodeModel {
  name: string;
  /** "nodes/<name>" or "nodes/<group>/<name>" (public path even for private-only nodes). */
  dir: string;
  /** True when the node exists only because groups list it. */
  createdByGroup: boolean;
  /** Direct parent groups, sorted. */
  parents: string[];
  /** Ancestor groups in Nixverse's groupNames order ; may repeat. */
  groupNames: string[];
  metaDefs: MetaDef[];
  os: Resolved<Os>;
  channel: Resolved<string>;
  system: Resolved<string> | null;
  /** meta's literal `tags` (for @tag selection), each once. */
  tags: string[];
  /** Existing files in Nixverse's recursiveFindFiles order. */
  configuration: string[];
  hardware: string[];
  diskConfig: string[];
  /** user → home files, in lookup order. */
  home: Record<string, string[]>;
  /** `<nodeDir>/secrets.yaml` or `<nodeDir>/secrets/default.yaml`, public or private; null if none. */
  secretsFile: string | null;
  /** Committed SSH host public key (fs/etc/ssh/ssh_host_ed25519_key.pub), private layer first. */
  hostKeyPub?: string | null;
  /**
   * Why the node cannot be built yet (no configuration.nix, no channel, no os/system, unknown
   * channel inputs): gen warns, evaluating the node throws it. os/channel may be placeholders.
   */
  problem?: Diagnostic;
}

export interface GroupModel {
  name: string;
  /** Always "nodes/<name>". */
  dir: string;
  /** group.nix files, public then private. */
  files: string[];
  parents: string[];
  groupNames: string[];
  /** Direct children (nodes and groups), sorted. */
  children: string[];
  /** All nested children in Nixverse's order (may repeat). */
  descendants: string[];
  /** Descendant nodes, sorted, unique. */
  nodes: string[];
}

/** name → files: public first, then private (both kept; the consumer decides who wins). */
export type NamedFiles = Record<string, string[]>;

export interface FleetModel {
  /** Absolute path of the flake directory. */
  root: string;
  hasPrivate: boolean;
  /**
   * What user code reads as a machine's `type`: "host" (Nixverse HEAD, host.nix) unless the fleet
   * is b1b80d5-style (node.nix files and no host.nix), then "node".
   */
  nodeType: "host" | "node";
  nodes: Record<string, NodeModel>;
  groups: Record<string, GroupModel>;
  /** lib.nix / lib/default.nix, public then private. */
  lib: string[];
  pkgs: NamedFiles;
  modules: { nixos: NamedFiles; darwin: NamedFiles; home: NamedFiles; flake: NamedFiles };
  outputs: {
    /** outputs/flake/<name>.nix → output <name> */
    flake: NamedFiles;
    /** outputs/perSystem/<name>.nix → <name>.<system> */
    perSystem: NamedFiles;
    /** b1b80d5-style outputs.nix / outputs/default.nix flake-parts modules. */
    flakeParts: string[];
  };
  /** Master secrets file (secrets.yaml or private/secrets.yaml), if any. */
  masterSecrets: string | null;
  /** .sops.yaml or private/.sops.yaml, if any (private wins). */
  sopsConfig: string | null;
  /** Makefile / private/Makefile that exist. */
  makefiles: string[];
}
