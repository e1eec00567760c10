// planAdoption: a Nixverse flake.nix → inputs.nix, checked by Nix itself (the text must parse, and
// evaluate to the same inputs minus nixverse) and by the comments it must keep.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { isNixverseFlake, planAdoption } from "../../generator/init/adopt.js";
import { parseNix } from "../../generator/nix/parse.js";
import { nixEnv, tempDir } from "../support/nix.js";

const NESTED = `{
  description = "My machines";

  # All inputs; nodes pick theirs by channel.
  inputs = {
    # Rolling nixpkgs for most machines.
    nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
    nixpkgs-stable-nixos.url = "github:NixOS/nixpkgs/nixos-24.05"; # servers
    nixverse = {
      url = "github:hgl/nixverse";
      inputs.nixpkgs.follows = "nixpkgs-unstable";
    };
    /* Home Manager, following unstable */
    home-manager-unstable = {
      url = "github:nix-community/home-manager";
      inputs.nixpkgs.follows = "nixpkgs-unstable"; # keep one nixpkgs
    };
  };
  outputs =
    inputs@{ nixverse, ... }:
    nixverse.lib.load {
      inherit inputs;
      flakePath = ./.;
    };
}
`;

const FLAT = `{
  # unstable
  inputs.nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
  inputs.nixverse.url = "github:hgl/nixverse";
  inputs.nixverse.inputs.nixpkgs.follows = "nixpkgs-unstable";
  # secrets
  inputs.sops-nix-unstable = { url = "github:Mic92/sops-nix"; inputs.nixpkgs.follows = "nixverse/nixpkgs"; };
  outputs = inputs@{ nixverse, ... }: nixverse.lib.load { inherit inputs; flakePath = ./.; } // { x = 1; };
}
`;

function plan(source: string) {
  const parsed = parseNix(source, "flake.nix");
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const a = planAdoption(parsed.value);
  if (!a.ok) throw new Error(JSON.stringify(a.errors));
  return a.value;
}

describe("inputs.self", () => {
  it("is no input: `self.submodules = true` becomes the submodules setting, in either form", () => {
    const nested = plan(
      NESTED.replace("  inputs = {\n", "  inputs = {\n    self.submodules = true;\n"),
    );
    expect(nested.submodules).toBe(true);
    expect(nested.moved).not.toContain("self");
    expect(nested.inputsNix).not.toMatch(/\bself\b/);
    const flat = plan(FLAT.replace("{\n", "{\n  inputs.self.submodules = true;\n"));
    expect(flat.submodules).toBe(true);
    expect(flat.inputsNix).not.toMatch(/\bself\b/);
    expect(plan(NESTED).submodules).toBe(false);
  });
  it("warns about other settings of self, which are dropped", () => {
    const a = plan(NESTED.replace("  inputs = {\n", "  inputs = {\n    self.lfs = true;\n"));
    expect(a.submodules).toBe(false);
    expect(a.inputsNix).not.toMatch(/\bself\b/);
    expect(a.warnings.map((w) => w.code)).toContain("adopt-self");
  });
});

async function nixValue(file: string, expr: string): Promise<unknown> {
  const r = await execa(
    "nix-instantiate",
    ["--eval", "--strict", "--json", "-E", expr.replace("FILE", file)],
    {
      env: nixEnv(),
    },
  );
  return JSON.parse(r.stdout);
}

describe("adopting a Nixverse flake.nix", () => {
  it("recognises Nixverse flakes", () => {
    expect(isNixverseFlake(NESTED)).toBe(true);
    expect(isNixverseFlake("{ outputs = _: { }; }")).toBe(false);
  });

  it("moves every input but nixverse with every comment outside it, and Nix reads the same inputs", async () => {
    const a = plan(NESTED);
    expect(a.moved).toEqual(["nixpkgs-unstable", "nixpkgs-stable-nixos", "home-manager-unstable"]);
    expect(a.dropped).toEqual(["nixverse"]);
    expect(a.description).toBe("My machines");
    expect(a.warnings).toEqual([]);
    for (const c of [
      "# All inputs; nodes pick theirs by channel.",
      "# Rolling nixpkgs for most machines.",
      "# servers",
      "/* Home Manager, following unstable */",
      "# keep one nixpkgs",
    ]) {
      expect(a.inputsNix).toContain(c);
    }
    expect(a.inputsNix).not.toContain("hgl/nixverse");
    const dir = tempDir();
    const inputs = path.join(dir, "inputs.nix");
    const flake = path.join(dir, "flake.nix");
    writeFileSync(inputs, a.inputsNix);
    writeFileSync(flake, NESTED);
    const ours = await nixValue(inputs, "import FILE");
    const theirs = (await nixValue(
      flake,
      'removeAttrs (import FILE).inputs [ "nixverse" ]',
    )) as object;
    expect(ours).toEqual(theirs);
  });

  it("handles inputs.<name>… written at the top level, and warns about follows into nixverse and extra outputs", async () => {
    const a = plan(FLAT);
    expect(a.moved).toEqual(["nixpkgs-unstable", "sops-nix-unstable"]);
    expect(a.inputsNix).toContain("# unstable");
    expect(a.inputsNix).toContain("# secrets");
    expect(a.warnings.map((w) => w.code).sort()).toEqual([
      "adopt-follows-dropped",
      "adopt-outputs",
    ]);
    const dir = tempDir();
    writeFileSync(path.join(dir, "inputs.nix"), a.inputsNix);
    writeFileSync(path.join(dir, "flake.nix"), FLAT);
    expect(await nixValue(path.join(dir, "inputs.nix"), "import FILE")).toEqual(
      await nixValue(
        path.join(dir, "flake.nix"),
        'removeAttrs (import FILE).inputs [ "nixverse" ]',
      ),
    );
  });
});
