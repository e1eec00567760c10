// nixverse.yaml's shape and defaults, apart from its parser: a fleet without nixverse.yaml (most
// of them) never loads the YAML library.

export interface ChannelUrls {
  nixpkgs?: { nixos?: string; darwin?: string };
  "home-manager"?: string;
  "nix-darwin"?: string;
  "sops-nix"?: string;
  disko?: string;
}

export interface Config {
  /** What the channel `stable` means, e.g. "26.05". */
  stable: string;
  channels: Record<string, ChannelUrls>;
  /** Systems for perSystem outputs and apps; null → lib.systems.flakeExposed. */
  systems: string[] | null;
  /** Flake description. */
  description: string | null;
  /** builders: Nix's `--builders` value for the runner's local build stage (null: nix.conf's). */
  deploy: { parallel: number; builders: string | null };
  /** `inputs.self.submodules = true` in flake.nix (Nix ≥ 2.27): git submodules (private/) are part of the flake. */
  submodules: boolean;
}

export const DEFAULT_CONFIG: Config = {
  stable: "26.05",
  channels: {},
  systems: null,
  description: null,
  deploy: { parallel: 10, builders: null },
  submodules: false,
};
