// nix-darwin and home-manager follow the release of the channel's nixpkgs (generator/plan/channels.ts):
// real nix-darwin throws when its branch and nixpkgs' differ.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { conventionalUrl, releaseOfNixpkgs } from "../../generator/plan/channels.js";
import { DEFAULT_CONFIG } from "../../generator/config/defaults.js";
import { makeTree, runCli } from "../support/cli.js";

describe("companions of a custom channel", () => {
  it("reads the release from the nixpkgs branch", () => {
    expect(releaseOfNixpkgs("github:NixOS/nixpkgs/nixpkgs-25.05-darwin")).toBe("25.05");
    expect(releaseOfNixpkgs("github:NixOS/nixpkgs/nixos-24.11")).toBe("24.11");
    expect(releaseOfNixpkgs("github:NixOS/nixpkgs/nixos-unstable")).toBeNull();
    expect(releaseOfNixpkgs("github:NixOS/nixpkgs/master")).toBeNull();
    const config = {
      ...DEFAULT_CONFIG,
      channels: { lts: { nixpkgs: { darwin: "github:NixOS/nixpkgs/nixpkgs-25.05-darwin" } } },
    };
    expect(conventionalUrl("nix-darwin", "lts", "darwin", config)).toBe(
      "github:nix-darwin/nix-darwin/nix-darwin-25.05",
    );
    expect(conventionalUrl("home-manager", "lts", "darwin", config)).toBe(
      "github:nix-community/home-manager/release-25.05",
    );
  });

  it("gen adds the nix-darwin of the user's nixpkgs-…-darwin release", async () => {
    const dir = makeTree({
      "nixverse.yaml":
        "channels:\n  lts:\n    nixpkgs:\n      darwin: github:NixOS/nixpkgs/nixpkgs-25.05-darwin\n",
      "nodes/mac/node.nix": '{ os = "darwin"; channel = "lts"; }\n',
      "nodes/mac/configuration.nix": "{ }\n",
    });
    const r = await runCli(["gen"], dir);
    expect(r.code, r.stderr).toBe(0);
    const flake = readFileSync(path.join(dir, "flake.nix"), "utf8");
    expect(flake).toContain('"github:nix-darwin/nix-darwin/nix-darwin-25.05"');
    expect(flake).toContain('"github:NixOS/nixpkgs/nixpkgs-25.05-darwin"');
  });
});

describe("a nixpkgs pinned in inputs.nix decides nix-darwin's and home-manager's branch", () => {
  it.each([
    ['nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";', "unstable", "25.05"],
    ['nixpkgs-stable = { url = "github:NixOS/nixpkgs/nixpkgs-24.11-darwin"; };', "stable", "24.11"],
    ['nixpkgs-stable.url = "github:NixOS/nixpkgs/nixpkgs-unstable";', "stable", "unstable"],
  ])("%s on channel %s", async (pin, channel, release) => {
    const dir = makeTree({
      "inputs.nix": `{\n  ${pin}\n}\n`,
      "nodes/mac/node.nix": `{ os = "darwin"; channel = "${channel}"; }\n`,
      "nodes/mac/configuration.nix": "{ }\n",
      "nodes/mac/users/alice/home.nix": "{ }\n",
    });
    const r = await runCli(["gen"], dir);
    expect(r.code, r.stderr).toBe(0);
    const flake = readFileSync(path.join(dir, "flake.nix"), "utf8");
    const [darwin, hm] =
      release === "unstable"
        ? ["github:nix-darwin/nix-darwin", "github:nix-community/home-manager"]
        : [
            `github:nix-darwin/nix-darwin/nix-darwin-${release}`,
            `github:nix-community/home-manager/release-${release}`,
          ];
    expect(flake).toContain(`url = "${darwin}";`);
    expect(flake).toContain(`url = "${hm}";`);
    expect(r.stdout).toMatch(
      new RegExp(
        `added input nix-darwin-\\S+ \\(${darwin}\\) for mac: os darwin \\(the release of nixpkgs-\\S+ is ${release}\\)`,
      ),
    );
  });
});
