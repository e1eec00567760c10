// Every structural error of the generator (issue: items 3–5), through the CLI: the message, the
// location, and that nothing was written.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeTree, runCli, snapshot } from "../support/cli.js";

const ok = {
  "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
  "nodes/a/configuration.nix": "{ }\n",
};

async function expectError(
  files: Record<string, string>,
  code: string,
  where: string | RegExp,
  message: string | RegExp,
) {
  const root = makeTree(files);
  const before = snapshot(root);
  const r = await runCli(["gen", "--flake", root], root);
  expect(r.code).toBe(1);
  const line = r.stderr.split("\n").find((l) => l.includes("error:")) ?? "";
  if (typeof where === "string") expect(line.startsWith(`${where}: error: `)).toBe(true);
  else expect(line).toMatch(where);
  if (typeof message === "string") expect(line).toContain(message);
  else expect(line).toMatch(message);
  expect(r.stderr).toContain("nothing was written");
  expect(snapshot(root)).toEqual(before);
  void code;
}

describe("gen reports structural errors with locations and writes nothing", () => {
  it("bad node name", () =>
    expectError(
      { ...ok, "nodes/my_node/node.nix": "{ }" },
      "node-name-invalid",
      "nodes/my_node",
      '"my_node" is not a valid node or group name (use only ASCII letters, digits and -, not starting with -): nodes/my_node',
    ));

  it("a stray file under nodes/", () =>
    expectError(
      { ...ok, "nodes/README.md": "hi" },
      "node-name-invalid",
      "nodes/README.md",
      "nodes/README.md",
    ));

  it("reserved name current", () =>
    expectError(
      { ...ok, "nodes/current/node.nix": "{ }" },
      "node-name-reserved",
      "nodes/current",
      'Node name "current" is reserved: nodes/current',
    ));

  it("group containing itself, at the key", () =>
    expectError(
      { ...ok, "nodes/g/group.nix": "{\n  a = { };\n  g = { };\n}\n" },
      "group-contains-itself",
      "nodes/g/group.nix:3:3",
      "Group cannot contain itself: nodes/g/group.nix",
    ));

  it("containment cycle with the ⊇ chain", () =>
    expectError(
      { ...ok, "nodes/x/group.nix": "{ y = { }; }", "nodes/y/group.nix": "{ x = { }; a = { }; }" },
      "group-cycle",
      "nodes/y/group.nix:1:3",
      "cyclic group containment: x ⊇ y ⊇ x",
    ));

  it("empty group", () =>
    expectError(
      { ...ok, "nodes/g/group.nix": "{ common = { }; }" },
      "group-empty",
      "nodes/g/group.nix:1:1",
      "Group is empty: nodes/g/group.nix",
    ));

  it("node.nix and group.nix in one directory", () =>
    expectError(
      { ...ok, "nodes/b/node.nix": "{ }", "nodes/b/group.nix": "{ a = { }; }" },
      "node-and-group",
      "nodes/b/group.nix",
      "b cannot simultaneously be a node (nodes/b/node.nix) and a group (nodes/b/group.nix)",
    ));

  it("node.nix and host.nix in one directory", () =>
    expectError(
      { ...ok, "nodes/a/host.nix": "{ }" },
      "both-exist",
      "nodes/a/host.nix",
      "Both nodes/a/node.nix and nodes/a/host.nix exist, only one is allowed",
    ));

  it("public node, private group", () =>
    expectError(
      { ...ok, "private/nodes/a/group.nix": "{ z = { }; }" },
      "entity-type-clash",
      "private/nodes/a/group.nix:1:1",
      "a cannot simultaneously be a node (nodes/a/node.nix) and a group (private/nodes/a/group.nix)",
    ));

  it("x.nix and x/default.nix", () =>
    expectError(
      { ...ok, "pkgs/foo.nix": "{ }: 1", "pkgs/foo/default.nix": "{ }: 1" },
      "both-exist",
      "pkgs/foo.nix",
      "Both pkgs/foo/default.nix and pkgs/foo.nix exist, only one is allowed",
    ));

  it("home.nix and home/default.nix", () =>
    expectError(
      { ...ok, "nodes/a/users/u/home.nix": "{ }", "nodes/a/users/u/home/default.nix": "{ }" },
      "both-exist",
      "nodes/a/users/u/home.nix",
      "only one is allowed",
    ));

  it("group.nix that is a function", () =>
    expectError(
      { ...ok, "nodes/g/group.nix": "# a group\n{ lib, ... }: { a = { }; }\n" },
      "group-not-attrset",
      "nodes/g/group.nix:2:1",
      "Group must be an attribute set: nodes/g/group.nix",
    ));

  it("a pipe operator in node.nix: Nix's experimental-feature message, at the operator", () =>
    expectError(
      {
        ...ok,
        "nodes/a/node.nix": '{\n  os = [ "nixos" ] |> builtins.head;\n  channel = "unstable";\n}\n',
      },
      "nix-parse",
      "nodes/a/node.nix:2:20",
      /experimental Nix feature 'pipe-operators' is disabled.*write `f x` instead of `x \|> f`/,
    ));

  it("syntax error in node.nix, at Nix's position", () =>
    expectError(
      { ...ok, "nodes/a/node.nix": '{\n  os = "nixos"\n  channel = "unstable";\n}\n' },
      "nix-parse",
      // Where Nix itself reports it: 3:11, "unexpected '=', expecting ';'".
      "nodes/a/node.nix:3:11",
      "unexpected '=', expecting ';'",
    ));

  it("os that is not a literal", () =>
    expectError(
      {
        ...ok,
        "nodes/a/node.nix":
          '{ lib, ... }:\n{\n  os = lib.toLower "NIXOS";\n  channel = "unstable";\n}\n',
      },
      "meta-not-static",
      "nodes/a/node.nix:3:8",
      /os/,
    ));

  it("let-bound literals are fine", async () => {
    const root = makeTree({
      ...ok,
      "nodes/a/node.nix": 'let x = "nixos"; in { os = x; channel = "unstable"; }',
    });
    expect((await runCli(["gen", "--flake", root], root)).code).toBe(0);
  });

  it("conflicting channels at the same priority name both places", () =>
    expectError(
      {
        ...ok,
        "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }',
        "nodes/g/group.nix": '{\n  common.channel = "stable";\n  a = { };\n}\n',
      },
      "meta-conflict",
      /^nodes\/.*: error: /,
      /nodes\/g\/group\.nix:2:\d+.*nodes\/a\/node\.nix:1:\d+|nodes\/a\/node\.nix:1:\d+.*nodes\/g\/group\.nix:2:\d+/,
    ));

  it("inputs.nix that is not an attribute set", () =>
    expectError(
      { ...ok, "inputs.nix": "{ lib }: { }" },
      "inputs-not-attrset",
      "inputs.nix:1:1",
      "inputs.nix must be a plain attribute set",
    ));

  it("a hand-written flake.nix is not overwritten without --force", () =>
    expectError(
      { ...ok, "flake.nix": "{ outputs = _: { }; }\n" },
      "flake-handwritten",
      "flake.nix:1:1",
      "flake.nix was not written by nixverse-gen",
    ));
});

// Nixverse fails only when an incomplete node is built; so do we (issue 11 item 7): gen warns with
// the location and HEAD's words, writes the fleet, and the node's data carries the message.
describe("an incomplete node is a warning, not a refusal", () => {
  it.each([
    [
      "missing configuration.nix",
      { "nodes/b/node.nix": '{ os = "nixos"; channel = "unstable"; }' },
      "nodes/b/node.nix: warning: Missing nodes/b/configuration.nix",
      "unbuildable",
    ],
    [
      "no os at all",
      { "nodes/b/node.nix": '{ channel = "unstable"; }', "nodes/b/configuration.nix": "{ }" },
      "nodes/b/node.nix:1:1: warning: Missing required meta configuration `system` for host `b`",
      "broken",
    ],
    [
      "no channel",
      { "nodes/b/host.nix": '{ system = "x86_64-linux"; }', "nodes/b/configuration.nix": "{ }" },
      "nodes/b/host.nix:1:1: warning: Missing required meta configuration `channel` for host `b`",
      "broken",
    ],
    [
      "an unsupported system",
      {
        "nodes/b/host.nix": '{ system = "x86_64-freebsd"; channel = "unstable"; }',
        "nodes/b/configuration.nix": "{ }",
      },
      "nodes/b/host.nix:1:12: warning: Unsupported host system `x86_64-freebsd` for host `b`",
      "broken",
    ],
    [
      "unknown channel with no input for it",
      {
        "nodes/b/node.nix": '{ os = "nixos";\n  channel = "edge"; }',
        "nodes/b/configuration.nix": "{ }",
      },
      "nodes/b/node.nix:2:13: warning: Missing the flake input nixpkgs-edge-nixos, required by host b",
      "unbuildable",
    ],
  ] as const)("%s", async (_, files, warning, field) => {
    const root = makeTree({ ...ok, ...files });
    const r = await runCli(["gen", "--flake", root], root);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(warning);
    expect(r.stderr).toContain("gen goes on, and evaluating node b fails with this message");
    const fleet = readFileSync(join(root, "nixverse", "fleet.nix"), "utf8");
    const b = fleet.slice(fleet.indexOf("    b = {"));
    expect(b).toMatch(new RegExp(`\\n      ${field} = "nodes/b/`));
    // The complete node is untouched by its neighbour.
    expect(fleet.slice(fleet.indexOf("    a = {"), fleet.indexOf("    b = {"))).not.toMatch(
      /broken|unbuildable/,
    );
  });
});
