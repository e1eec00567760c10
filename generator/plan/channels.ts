// Conventional flake URLs for the inputs a node needs, per channel. `unstable`, `stable` and
// release numbers ("26.05") are known; other channels need nixverse.yaml or inputs.nix.

import type { Config } from "../config/config.js";
import type { Os } from "../model/types.js";

export type Need = "nixpkgs" | "home-manager" | "sops-nix" | "disko" | "nix-darwin";

const RELEASE = /^\d\d\.\d\d$/;

/** URL for input `need` on (channel, os), or null when the channel is unknown. */
export function conventionalUrl(
  need: Need,
  channel: string,
  os: Os,
  config: Config,
): string | null {
  const custom = config.channels[channel];
  if (custom) {
    if (need === "nixpkgs") return custom.nixpkgs?.[os] ?? null;
    const u = custom[need];
    if (u) return u;
    // Companions of a custom channel: the same defaults a release uses, when we can tell it
    // from the channel's nixpkgs branch (real nix-darwin and home-manager throw on a mismatch).
  }
  const release =
    channel === "stable"
      ? config.stable
      : RELEASE.test(channel)
        ? channel
        : custom
          ? releaseOfNixpkgs(custom.nixpkgs?.[os] ?? custom.nixpkgs?.nixos ?? null)
          : null;
  if (channel === "unstable") {
    return {
      nixpkgs: "github:NixOS/nixpkgs/nixpkgs-unstable",
      "home-manager": "github:nix-community/home-manager",
      "nix-darwin": "github:nix-darwin/nix-darwin",
      "sops-nix": "github:Mic92/sops-nix",
      disko: "github:nix-community/disko",
    }[need];
  }
  if (release === null) {
    // sops-nix and disko track nixpkgs through `follows`, so any channel can use their main branch.
    if (need === "sops-nix") return "github:Mic92/sops-nix";
    if (need === "disko") return "github:nix-community/disko";
    return null;
  }
  return {
    nixpkgs:
      os === "nixos"
        ? `github:NixOS/nixpkgs/nixos-${release}`
        : `github:NixOS/nixpkgs/nixpkgs-${release}-darwin`,
    "home-manager": `github:nix-community/home-manager/release-${release}`,
    "nix-darwin": `github:nix-darwin/nix-darwin/nix-darwin-${release}`,
    "sops-nix": "github:Mic92/sops-nix",
    disko: "github:nix-community/disko",
  }[need];
}

/** `25.05` for a nixpkgs URL on a release branch (nixos-25.05, nixpkgs-25.05-darwin, release-25.05). */
export function releaseOfNixpkgs(url: string | null): string | null {
  if (url === null) return null;
  const m = /(?:nixos-|nixpkgs-|release-)(\d\d\.\d\d)(?:-darwin)?(?:$|[/?&])/.exec(url);
  return m ? m[1]! : null;
}

/** The release a pinned nixpkgs URL follows: "25.05", "unstable", or null when it cannot tell. */
export function releaseOfPin(url: string): string | null {
  if (/(?:^|[/:])(?:nixos|nixpkgs)-unstable(?:$|[/?&])/.test(url)) return "unstable";
  return releaseOfNixpkgs(url);
}

/** nix-darwin's or home-manager's branch for a nixpkgs release ("unstable": their main branch). */
export function companionUrl(need: "nix-darwin" | "home-manager", release: string): string {
  if (need === "nix-darwin")
    return release === "unstable"
      ? "github:nix-darwin/nix-darwin"
      : `github:nix-darwin/nix-darwin/nix-darwin-${release}`;
  return release === "unstable"
    ? "github:nix-community/home-manager"
    : `github:nix-community/home-manager/release-${release}`;
}
