// The model stage on real trees: file lookup order with the private overlay (Nixverse's
// testConfig fixture), home files, secrets, lib/pkgs/modules/outputs discovery.
import { describe, expect, it } from "vitest";
import { loadFleet } from "../../generator/model/load.js";
import { makeTree } from "../support/cli.js";

async function model(files: Record<string, string>) {
  const r = await loadFleet(makeTree(files));
  if (!r.ok) throw new Error(JSON.stringify(r.errors, null, 2));
  return r.value.model;
}

describe("loadFleet", () => {
  // NIXVERSE-REFERENCE §13 testConfig.
  const testConfig = {
    "nodes/common/configuration.nix": "{ }",
    "private/nodes/common/configuration.nix": "{ }",
    "nodes/group0/group.nix":
      '{ common = { os = "nixos"; channel = "unstable"; }; groupNode0 = { }; node0 = { }; }',
    "nodes/group0/common/configuration.nix": "{ }",
    "nodes/group0/common/hardware-configuration.nix": "{ }",
    "nodes/group0/common/disk-config.nix": "{ }",
    "private/nodes/group0/common/configuration.nix": "{ }",
    "nodes/group0/common/users/bar/home.nix": "{ }",
    "nodes/node0/node.nix": "{ }",
    "nodes/node0/configuration.nix": "{ }",
    "nodes/node0/hardware-configuration.nix": "{ }",
    "nodes/node0/disk-config.nix": "{ }",
    "private/nodes/node0/configuration.nix": "{ }",
    "nodes/node0/users/bar/home.nix": "{ }",
    "nodes/group0/groupNode0/configuration.nix": "{ }",
    "private/nodes/group0/groupNode0/configuration.nix": "{ }",
    "nodes/group0/groupNode0/users/bar/home/default.nix": "{ }",
    // Ignored: node0 has its own node.nix, so nodes/group0/node0/ is not its directory.
    "nodes/group0/node0/configuration.nix": "{ }",
  };

  it("finds each node's files in Nixverse's order, private after public at each level", async () => {
    const m = await model(testConfig);
    expect(m.nodes.node0!.configuration).toEqual([
      "nodes/common/configuration.nix",
      "private/nodes/common/configuration.nix",
      "nodes/group0/common/configuration.nix",
      "private/nodes/group0/common/configuration.nix",
      "nodes/node0/configuration.nix",
      "private/nodes/node0/configuration.nix",
    ]);
    expect(m.nodes.node0!.hardware).toEqual([
      "nodes/group0/common/hardware-configuration.nix",
      "nodes/node0/hardware-configuration.nix",
    ]);
    expect(m.nodes.node0!.diskConfig).toEqual([
      "nodes/group0/common/disk-config.nix",
      "nodes/node0/disk-config.nix",
    ]);
    expect(m.nodes.node0!.home).toEqual({
      bar: ["nodes/group0/common/users/bar/home.nix", "nodes/node0/users/bar/home.nix"],
    });
    expect(m.nodes.groupNode0!.dir).toBe("nodes/group0/groupNode0");
    expect(m.nodes.groupNode0!.configuration.slice(-2)).toEqual([
      "nodes/group0/groupNode0/configuration.nix",
      "private/nodes/group0/groupNode0/configuration.nix",
    ]);
    expect(m.nodes.groupNode0!.home).toEqual({
      bar: [
        "nodes/group0/common/users/bar/home.nix",
        "nodes/group0/groupNode0/users/bar/home/default.nix",
      ],
    });
    expect(m.nodes.node0!.os).toMatchObject({ value: "nixos", priority: 100 });
    expect(m.hasPrivate).toBe(true);
  });

  it("takes disk configs only for NixOS nodes and resolves mkDefault against plain values", async () => {
    const m = await model({
      "nodes/g/group.nix":
        '{ common = { lib, ... }: { os = lib.mkDefault "nixos"; channel = lib.mkDefault "unstable"; }; mac = { os = "darwin"; }; box = { }; }',
      "nodes/g/common/configuration.nix": "{ }",
      "nodes/g/common/disk-config.nix": "{ }",
    });
    expect(m.nodes.mac!.os.value).toBe("darwin");
    expect(m.nodes.mac!.diskConfig).toEqual([]);
    expect(m.nodes.box!.os).toMatchObject({ value: "nixos", priority: 1000 });
    expect(m.nodes.box!.diskConfig).toEqual(["nodes/g/common/disk-config.nix"]);
  });

  it("reads literal tags like listOf merges them: the winning priority's lists, concatenated, each once", async () => {
    const m = await model({
      "nodes/web/group.nix": `{
  common = { lib, ... }: { os = "nixos"; channel = "unstable"; tags = [ "web" "eu" ]; };
  web1 = { tags = [ "eu" "canary" ]; };
  web2 = { lib, ... }: { tags = lib.mkForce [ "only" ]; };
  web3 = { };
}`,
      "nodes/web/common/configuration.nix": "{ }",
      "nodes/db/node.nix": '{ os = "nixos"; channel = "unstable"; }',
      "nodes/db/configuration.nix": "{ }",
    });
    expect(m.nodes.web1!.tags).toEqual(["web", "eu", "canary"]);
    expect(m.nodes.web2!.tags).toEqual(["only"]);
    expect(m.nodes.web3!.tags).toEqual(["web", "eu"]);
    expect(m.nodes.db!.tags).toEqual([]);
  });

  it("refuses tags that are not a literal list of strings, at their place", async () => {
    const r = await loadFleet(
      makeTree({
        "nodes/a/node.nix":
          '{ lib, ... }: let t = "x"; in { os = "nixos"; channel = "unstable"; tags = [ t (lib.toUpper "y") ]; }',
        "nodes/a/configuration.nix": "{ }",
      }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]!.message).toBe("tags must be a list of literal strings");
    // at the item that is not literal (after the let-bound one, which is)
    expect(r.errors[0]).toMatchObject({ file: "nodes/a/node.nix", line: 1, column: 81 });
    const one = await loadFleet(
      makeTree({
        "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; tags = "web"; }',
        "nodes/a/configuration.nix": "{ }",
      }),
    );
    expect(!one.ok && one.errors[0]!.message).toBe("tags of node a must be a list of strings");
  });

  it("derives os from a literal system", async () => {
    const m = await model({
      "nodes/a/node.nix": '{ system = "aarch64-darwin"; channel = "unstable"; }',
      "nodes/a/configuration.nix": "{ }",
    });
    expect(m.nodes.a!.os.value).toBe("darwin");
    expect(m.nodes.a!.system?.value).toBe("aarch64-darwin");
  });

  it("discovers lib, pkgs (private wins), modules (merged, modules/os shared) and outputs", async () => {
    const m = await model({
      "lib.nix": "{ }",
      "private/lib/default.nix": "{ }",
      "pkgs/a.nix": "{ }: 1",
      "pkgs/b/default.nix": "{ }: 1",
      "private/pkgs/a/default.nix": "{ }: 1",
      "modules/os/shared.nix": "{ }",
      "modules/nixos/n.nix": "{ }",
      "private/modules/nixos/n/default.nix": "{ }",
      "modules/home/h.nix": "{ }",
      "outputs/flake/templates.nix": "{ }",
      "outputs/perSystem/packages.nix": "{ }",
      "outputs/default.nix": "{ }",
      "secrets.yaml": "",
      ".sops.yaml": "",
    });
    expect(m.lib).toEqual(["lib.nix", "private/lib/default.nix"]);
    expect(m.pkgs).toEqual({ a: ["private/pkgs/a/default.nix"], b: ["pkgs/b/default.nix"] });
    expect(m.modules.nixos).toEqual({
      n: ["modules/nixos/n.nix", "private/modules/nixos/n/default.nix"],
      shared: ["modules/os/shared.nix"],
    });
    expect(m.modules.darwin).toEqual({ shared: ["modules/os/shared.nix"] });
    expect(m.modules.home).toEqual({ h: ["modules/home/h.nix"] });
    expect(m.outputs).toEqual({
      flake: { templates: ["outputs/flake/templates.nix"] },
      perSystem: { packages: ["outputs/perSystem/packages.nix"] },
      flakeParts: ["outputs/default.nix"],
    });
    expect(m.masterSecrets).toBe("secrets.yaml");
    expect(m.sopsConfig).toBe(".sops.yaml");
  });

  it("rejects the same module in modules/os and modules/nixos", async () => {
    const r = await loadFleet(
      makeTree({ "modules/os/x.nix": "{ }", "modules/nixos/x.nix": "{ }" }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors[0]!.message).toBe(
        "Module `x` exists in both `modules/os` and `modules/nixos`",
      );
  });

  it("finds node secrets in either Nixverse's or SPEC's place, and rejects both", async () => {
    const base = {
      "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }',
      "nodes/a/configuration.nix": "{ }",
    };
    expect((await model({ ...base, "nodes/a/secrets.yaml": "" })).nodes.a!.secretsFile).toBe(
      "nodes/a/secrets.yaml",
    );
    expect(
      (await model({ ...base, "nodes/a/secrets/default.yaml": "" })).nodes.a!.secretsFile,
    ).toBe("nodes/a/secrets/default.yaml");
    const r = await loadFleet(
      makeTree({ ...base, "nodes/a/secrets.yaml": "", "private/nodes/a/secrets.yaml": "" }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors[0]!.message).toBe(
        "Both nodes/a/secrets.yaml and private/nodes/a/secrets.yaml exist, only one is allowed",
      );
  });
});
