// Tier B: the user's own flake outputs over hand-written fleet data — file-based outputs/flake and
// outputs/perSystem (Nixverse HEAD's merge rules), the b1b80d5 flake-parts outputs.nix, reserved
// names, and apps.

import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { handFlake, type FleetData } from "./support/fixture.js";
import { flakeError, flakeValue, tierBMissing } from "./support/nix.js";

const missing = tierBMissing();
if (missing) console.log(`SKIPPED: runtime outputs tests (tier B): ${missing}`);

const base = (outputs: FleetData["outputs"], extra: Partial<FleetData> = {}): FleetData => ({
  inputTables: { "unstable/nixos": { nixpkgs: "nixpkgs-unstable" } },
  nodes: {
    n: {
      dir: "nodes/n",
      os: "nixos",
      channel: "unstable",
      meta: [["nodes/n/node.nix", null]],
      configuration: ["nodes/n/configuration.nix"],
    },
  },
  outputs,
  ...extra,
});
const nodeTree = {
  "nodes/n/node.nix": `{ os = "nixos"; channel = "unstable"; }`,
  "nodes/n/configuration.nix": `{ nixpkgs.hostPlatform = "x86_64-linux"; answer = 42; }`,
};
const systems = ["x86_64-linux", "aarch64-darwin"];

describe.skipIf(missing !== null)("file-based outputs (tier B)", () => {
  const dir = missing
    ? ""
    : handFlake(
        "outputs",
        null,
        {
          ...nodeTree,
          "pkgs/hello.nix": `{ gawk }: { name = "hello-\${gawk}"; }`,
          "outputs/flake/templates.nix": `{ lib, inputs, nodes, outputs }: { basic = { path = "t"; answer = nodes.n.config.answer; hasLib = outputs ? lib; inputs = builtins.attrNames inputs; }; }`,
          "private/outputs/flake/templates.nix": `{ secret = { path = "s"; }; }`,
          "outputs/flake/overlays.nix": `[ "public" ]`,
          "private/outputs/flake/overlays.nix": `[ "private" ]`,
          "outputs/flake/packages.nix": `{ x86_64-linux.fromFlake = "f"; }`,
          "outputs/perSystem/packages.nix": `{ system, pkgs, pkgs', inputs', outputs', lib, nodes }: { hello = pkgs'.hello.name; sys = system; pkgsSys = pkgs.system; flakeSide = outputs'.packages.fromFlake or null; }`,
          "outputs/perSystem/apps.nix": `{ system, ... }: { hi = { type = "app"; program = "/bin/hi-\${system}"; }; }`,
        },
        ["nixpkgs-unstable"],
        base(
          {
            flake: {
              templates: ["outputs/flake/templates.nix", "private/outputs/flake/templates.nix"],
              overlays: ["outputs/flake/overlays.nix", "private/outputs/flake/overlays.nix"],
              packages: ["outputs/flake/packages.nix"],
            },
            perSystem: {
              packages: ["outputs/perSystem/packages.nix"],
              apps: ["outputs/perSystem/apps.nix"],
            },
            systems,
          },
          { pkgs: { hello: "pkgs/hello.nix" } },
        ),
      );

  it("outputs/flake: value or function of inputs, lib, nodes, outputs; public and private merged", async () => {
    expect(await flakeValue(dir, "templates")).toEqual({
      basic: { path: "t", answer: 42, hasLib: true, inputs: ["nixpkgs-unstable"] },
      secret: { path: "s" },
    });
    // Lists concatenate, private first (Nixverse HEAD).
    expect(await flakeValue(dir, "overlays")).toEqual(["private", "public"]);
  });

  it("outputs/perSystem: <name>.<system> for the configured systems, merged with outputs/flake", async () => {
    expect(await flakeValue(dir, "packages")).toEqual({
      "x86_64-linux": {
        fromFlake: "f",
        hello: "hello-gawk",
        sys: "x86_64-linux",
        pkgsSys: "x86_64-linux",
        flakeSide: "f",
      },
      "aarch64-darwin": {
        hello: "hello-gawk",
        sys: "aarch64-darwin",
        pkgsSys: "aarch64-darwin",
        flakeSide: null,
      },
    });
  });

  it("user apps join nixverse's default, make and nixverse apps", async () => {
    const v = await flakeValue(dir, "apps", "a: builtins.mapAttrs (_: builtins.attrNames) a");
    expect(v).toEqual({
      "aarch64-darwin": ["default", "hi", "make", "nixverse"],
      "x86_64-linux": ["default", "hi", "make", "nixverse"],
    });
    expect(await flakeValue(dir, "apps.x86_64-linux.hi.program")).toBe("/bin/hi-x86_64-linux");
  });
});

describe.skipIf(missing !== null)("output errors (tier B)", () => {
  const flake = (name: string, tree: Record<string, string>, outputs: FleetData["outputs"]) =>
    handFlake(name, null, { ...nodeTree, ...tree }, ["nixpkgs-unstable"], base(outputs));

  it.each([
    [
      "nixosConfigurations",
      "Do not specify the nixosConfigurations flake output, it is generated automatically",
    ],
    [
      "darwinConfigurations",
      "Do not specify the darwinConfigurations flake output, it is generated automatically",
    ],
    ["lib", "Do not specify the lib flake output, it is generated automatically"],
    ["nixverse", "Do not specify the nixverse flake output, it is used internally by nixverse"],
  ])("a user %s output is refused", async (name, message) => {
    const dir = flake(
      `reserved-${name}`,
      { [`outputs/flake/${name}.nix`]: `{ x = 1; }` },
      {
        flake: { [name]: [`outputs/flake/${name}.nix`] },
      },
    );
    expect(await flakeError(dir, "nixverse.data.version")).toContain(message);
  });

  it("the same key in public and private files is a collision naming both", async () => {
    const dir = flake(
      "collide",
      {
        "outputs/flake/templates.nix": `{ a = 1; }`,
        "private/outputs/flake/templates.nix": `{ a = 2; }`,
      },
      {
        flake: {
          templates: ["outputs/flake/templates.nix", "private/outputs/flake/templates.nix"],
        },
      },
    );
    expect(await flakeError(dir, "templates")).toContain(
      "Output `templates.a` is defined in both `private/outputs/flake/templates.nix` and `outputs/flake/templates.nix`",
    );
  });

  it("mismatched value types cannot merge", async () => {
    const dir = flake(
      "mismatch",
      { "outputs/flake/overlays.nix": `{ a = 1; }`, "private/outputs/flake/overlays.nix": `[ 1 ]` },
      { flake: { overlays: ["outputs/flake/overlays.nix", "private/outputs/flake/overlays.nix"] } },
    );
    expect(await flakeError(dir, "overlays")).toContain(
      "but the values are not both attribute sets or both lists",
    );
  });

  it("a user app named default collides with nixverse's", async () => {
    const dir = flake(
      "appclash",
      { "outputs/perSystem/apps.nix": `{ default = { type = "app"; program = "/bin/x"; }; }` },
      { perSystem: { apps: ["outputs/perSystem/apps.nix"] }, systems: ["x86_64-linux"] },
    );
    expect(await flakeError(dir, "apps.x86_64-linux")).toContain(
      "App `x86_64-linux.default` is defined by nixverse and `outputs/perSystem/apps.nix`",
    );
  });
});

describe.skipIf(missing !== null)("flake-parts outputs.nix (tier B, real flake-parts)", () => {
  const src = `${process.env.NIX_INPUTS_DIR}/nixverse/tests/testUserOutputs`;
  const flake = (name: string, tree: Record<string, string>, files: string[]) =>
    handFlake(name, src, tree, ["nixpkgs-unstable", "flake-parts"], {
      inputTables: {},
      nodes: {},
      outputs: { flakeParts: files },
    });

  it("evaluates the module with systems defaulting to flake-exposed, pkgs from the lib input", async () => {
    const dir = flake("parts", {}, ["outputs/default.nix"]);
    expect(await flakeValue(dir, "template")).toBe(1);
    const lp = (await flakeValue(dir, "legacyPackages")) as Record<string, unknown>;
    expect(lp["x86_64-linux"]).toEqual({ foo: true, bar: true });
    expect(lp["aarch64-darwin"]).toEqual({ bar: true });
    // flake-parts' own (empty) per-system apps merge with nixverse's.
    expect(await flakeValue(dir, "apps.x86_64-linux", "builtins.attrNames")).toEqual([
      "default",
      "make",
      "nixverse",
    ]);
  });

  // b1b80d5 declares perSystem.makefileInputs; a module setting it must evaluate, and packages
  // stay readable (`nix eval/build .#nixosConfigurations…` probes packages.<system> first).
  it("perSystem.makefileInputs is declared: packages evaluate and apps.make puts them on PATH", async () => {
    const dir = flake(
      "parts-make",
      {
        "outputs.nix": `{ ... }: {
          systems = [ "x86_64-linux" ];
          perSystem = { pkgs, ... }: { makefileInputs = [ pkgs.hello ]; packages.foo = pkgs.gawk; };
        }`,
      },
      ["outputs.nix"],
    );
    expect(await flakeValue(dir, "packages.x86_64-linux", "builtins.attrNames")).toEqual(["foo"]);
    expect(
      await flakeValue(dir, "makefileInputs", "m: builtins.mapAttrs (_: map (p: p.name)) m"),
    ).toEqual({ "x86_64-linux": ["hello"] });
    const make = (await flakeValue(dir, "apps.x86_64-linux.make")) as Record<string, string>;
    expect(make).toMatchObject({ type: "app", program: "nixverse-make/bin/make" });
    expect(make.meta).toHaveProperty("description");
  });

  it("module args: nodes, lib', getPkgs', *Modules'; a reserved output is refused", async () => {
    const dir = flake(
      "parts-args",
      {
        "outputs.nix": `{ lib, lib', nodes, nixosModules', homeModules', getPkgs', ... }: {
          systems = [ "x86_64-linux" ];
          flake.probe = { libP = lib'; nodes = builtins.attrNames nodes; mods = builtins.attrNames nixosModules'; };
        }`,
        "outputs/default.nix": `{ flake.lib = { x = 1; }; }`,
      },
      ["outputs.nix"],
    );
    expect(await flakeValue(dir, "probe")).toEqual({ libP: {}, nodes: [], mods: [] });
    const bad = flake("parts-reserved", {}, ["outputs/default.nix", "outputs.nix"]);
    writeFileSync(`${bad}/outputs.nix`, "{ flake.lib = { x = 1; }; }");
    expect(await flakeError(bad, "template")).toContain(
      "Do not specify the lib flake output, it is generated automatically",
    );
  });
});
