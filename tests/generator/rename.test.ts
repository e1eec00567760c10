import { describe, expect, it } from "vitest";
import { renameInput, renameTable, conventionalName } from "../../generator/plan/rename.js";

describe("input renaming (NIXVERSE-REFERENCE §4)", () => {
  // The reference's documented table, row by row.
  it.each([
    ["nixvim-unstable", "darwin", "unstable", "nixvim"],
    ["nixvim-unstable", "nixos", "foo", "nixvim-unstable"],
    // HEAD (getUserInputs.nix): no rule renames it, so it keeps its own name.
    ["nixvim-unstable-darwin", "nixos", "unstable", "nixvim-unstable-darwin"],
    ["nixvim-unstable-nixos", "nixos", "unstable", "nixvim"],
    ["nixvim-foo-nixos", "nixos", "foo", "nixvim"],
    ["nixvim-foo", "darwin", "foo", "nixvim"],
    ["nixvim-any", "nixos", "foo", "nixvim"],
    ["nixvim", "darwin", "foo", "nixvim"],
    ["preservation", "nixos", "unstable", "preservation"],
    ["nixpkgs-stable-nixos", "nixos", "unstable", "nixpkgs-stable-nixos"],
    ["nixvim-none", "nixos", "unstable", null],
    ["nixvim-none", "darwin", "stable", null],
  ] as const)("%s on %s/%s → %s", (input, os, channel, exposed) => {
    expect(renameInput(input, channel, os)?.exposed ?? null).toBe(exposed);
  });

  it("-unstable-<os> inputs are exposed as <p>-unstable on other channels", () => {
    expect(renameInput("nixpkgs-unstable-nixos", "stable", "nixos")?.exposed).toBe(
      "nixpkgs-unstable",
    );
    expect(renameInput("nixpkgs-unstable-darwin", "stable", "nixos")?.exposed).toBe(
      "nixpkgs-unstable-darwin",
    );
  });

  it("uses explicit precedence, not alphabetical order, on collisions", () => {
    // Nixverse would let x-any beat x-aardvark because "any" sorts after "aardvark".
    expect(renameTable(["x-aardvark", "x-any"], "aardvark", "nixos")).toEqual({
      x: "x-aardvark",
      "x-any": "x-any",
    });
    expect(renameTable(["x-any", "x-stable", "x-stable-nixos"], "stable", "nixos")).toEqual({
      x: "x-stable-nixos",
      "x-any": "x-any",
    });
    expect(renameTable(["x-any", "x-stable", "x-stable-darwin"], "stable", "nixos")).toEqual({
      x: "x-stable",
      "x-any": "x-any",
      "x-stable-darwin": "x-stable-darwin",
    });
    expect(
      renameTable(
        ["nixpkgs-unstable", "nixpkgs-unstable-nixos", "nixpkgs-stable-nixos"],
        "stable",
        "nixos",
      ),
    ).toEqual({ nixpkgs: "nixpkgs-stable-nixos", "nixpkgs-unstable": "nixpkgs-unstable-nixos" });
  });

  it("never exposes self and never strips a suffix down to nothing", () => {
    expect(renameTable(["self", "-unstable", "any"], "unstable", "nixos")).toEqual({
      "-unstable": "-unstable",
      any: "any",
    });
  });

  it("is a superset of HEAD: pass-through names lose to renamed ones, -any keeps its full name too", () => {
    expect(
      renameTable(
        ["nixpkgs", "nixpkgs-unstable", "x-any", "x-none", "nixverse", "nixpkgs-stable-nixos"],
        "unstable",
        "nixos",
      ),
    ).toEqual({
      nixpkgs: "nixpkgs-unstable",
      "nixpkgs-stable-nixos": "nixpkgs-stable-nixos",
      nixverse: "nixverse",
      x: "x-any",
      "x-any": "x-any",
    });
  });

  it("names conventional inputs as SPEC §2 says", () => {
    expect(conventionalName("nixpkgs", "unstable", "darwin")).toBe("nixpkgs-unstable");
    expect(conventionalName("home-manager", "stable", "nixos")).toBe("home-manager-stable-nixos");
  });
});
