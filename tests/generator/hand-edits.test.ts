// A hand edit of the generated flake.nix is never discarded (generator/render/stamp.ts,
// generator/write/hand-edits.ts): gen stops and names the inputs, or keeps flake.nix.bak.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { editedSinceStamp, stampFlake } from "../../generator/render/stamp.js";
import { makeTree, runCli, snapshot } from "../support/cli.js";
import { nixParseError } from "../support/nix.js";

const tree = {
  "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
  "nodes/a/configuration.nix": "{ }\n",
};

async function generated(): Promise<string> {
  const root = makeTree(tree);
  const r = await runCli(["gen", "-q"], root);
  expect(r.code, r.stderr).toBe(0);
  return root;
}

const flake = (root: string) => path.join(root, "flake.nix");

/** What a Nixverse user does: add an input to flake.nix and bump another one's URL. */
function editInputs(root: string): void {
  const text = readFileSync(flake(root), "utf8");
  const edited = text
    .replace("  inputs = {\n", '  inputs = {\n    nixvim.url = "github:nix-community/nixvim";\n')
    .replace("github:NixOS/nixpkgs/nixpkgs-unstable", "github:NixOS/nixpkgs/nixos-unstable");
  expect(edited).not.toBe(text);
  writeFileSync(flake(root), edited);
}

describe("hand edits of flake.nix", () => {
  it("the generated flake.nix carries a stamp that Nix still parses", async () => {
    const root = await generated();
    const text = readFileSync(flake(root), "utf8");
    expect(editedSinceStamp(text)).toBe(false);
    expect(await nixParseError(flake(root))).toBeNull();
    expect(editedSinceStamp(text.replace("inputs = {", "inputs = { "))).toBe(true);
    expect(editedSinceStamp("{ }\n")).toBeNull();
    expect(stampFlake("# a\n{ }\n")).toMatch(
      /^# a\n# nixverse-gen: sha256 .*: [0-9a-f]{64}\n\{ \}\n$/,
    );
  });

  it("stops with the added and changed inputs named, and the move-to-inputs.nix advice", async () => {
    const root = await generated();
    editInputs(root);
    makeTree(
      {
        "nodes/b/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
        "nodes/b/configuration.nix": "{ }\n",
      },
      root,
    );
    const before = snapshot(root);
    const r = await runCli(["gen"], root);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "flake.nix: error: flake.nix was edited by hand since nixverse-gen wrote it (input nixvim added, input nixpkgs-unstable changed); regenerating would discard that (move those inputs to inputs.nix",
    );
    expect(r.stderr).toContain("--force");
    expect(snapshot(root)).toEqual(before);
  });

  it("goes through once the inputs are in inputs.nix, keeping the edited file as flake.nix.bak", async () => {
    const root = await generated();
    editInputs(root);
    const edited = readFileSync(flake(root), "utf8");
    writeFileSync(
      path.join(root, "inputs.nix"),
      '{\n  nixvim.url = "github:nix-community/nixvim";\n  nixpkgs-unstable.url = "github:NixOS/nixpkgs/nixos-unstable";\n}\n',
    );
    const r = await runCli(["gen"], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("kept the previous flake.nix as flake.nix.bak");
    expect(readFileSync(path.join(root, "flake.nix.bak"), "utf8")).toBe(edited);
    const now = readFileSync(flake(root), "utf8");
    expect(now).toContain('nixvim.url = "github:nix-community/nixvim"');
    expect(now).toContain("github:NixOS/nixpkgs/nixos-unstable");
    expect(editedSinceStamp(now)).toBe(false);
    // And the next run is quiet again.
    expect((await runCli(["gen"], root)).stdout).toContain("is up to date");
  });

  it("--force overwrites and keeps flake.nix.bak", async () => {
    const root = await generated();
    editInputs(root);
    const edited = readFileSync(flake(root), "utf8");
    const r = await runCli(["gen", "--force"], root);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(root, "flake.nix.bak"), "utf8")).toBe(edited);
    expect(readFileSync(flake(root), "utf8")).not.toContain("nixvim");
  });

  it("an untouched flake.nix is regenerated without a backup", async () => {
    const root = await generated();
    makeTree(
      {
        "nodes/b/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
        "nodes/b/configuration.nix": "{ }\n",
      },
      root,
    );
    const r = await runCli(["gen"], root);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(root, "flake.nix.bak"))).toBe(false);
  });
});
