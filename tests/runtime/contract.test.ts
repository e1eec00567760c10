// Tier B: the runtime library over hand-written fleet data in exactly the shape of
// docs/fleet-data.md (no generator involved), evaluated by Nix with the stand-in nixpkgs and
// the real home-manager / sops-nix / disko checkouts.

import { describe, expect, it } from "vitest";
import { handFlake, type FleetData } from "./support/fixture.js";
import { flakeError, flakeValue, tierBMissing } from "./support/nix.js";

const missing = tierBMissing();
if (missing) console.log(`SKIPPED: runtime contract tests (tier B): ${missing}`);

const unstableNixos = {
  nixpkgs: "nixpkgs-unstable",
  "home-manager": "home-manager-unstable",
  "sops-nix": "sops-nix-unstable",
  disko: "disko-unstable",
  nixvim: "nixvim-unstable",
};

// A small fleet touching every module argument: group `srv` (web, db), darwin `mac`.
const featuresTree = {
  "lib.nix": `{ lib, lib', inputs }: { greet = n: "hi \${n} \${toString lib'.answer}"; answer = 42; deep = { a = 1; b = 1; }; inputNames = builtins.attrNames inputs; }`,
  "private/lib.nix": `{ answer = 43; deep.b = 2; }`,
  "pkgs/hello.nix": `{ lib', pkgs', gawk }: { name = "hello"; awk = gawk; answer = lib'.answer; viaScope = pkgs'.world.name; }`,
  "private/pkgs/world.nix": `{ }: { name = "world-private"; }`,
  "modules/nixos/foo.nix": `{ lib, ... }: { options.fooMod = lib.mkOption { default = "foo-public"; }; }`,
  "private/modules/nixos/foo.nix": `{ lib, ... }: { config.fooPriv = "foo-private"; }`,
  "modules/home/hmmod.nix": `{ lib, ... }: { options.hmMod = lib.mkOption { default = "hm-module"; }; }`,
  "nodes/srv/group.nix": `{
    common = { lib, ... }: { os = lib.mkDefault "nixos"; channel = lib.mkDefault "unstable"; role = "server"; tags = [ "common" ]; };
    web = { lib', inputs, inputs', nodes }: {
      system = "x86_64-linux";
      deploy.targetHost = "root@web";
      greeting = lib'.greet nodes.current.name;
      fromConfig = nodes.current.config.networking.hostName;
      rawInputs = builtins.attrNames inputs;
      renamed = builtins.attrNames inputs';
    };
    db = { channel = "stable"; deploy.targetHost = "root@db"; };
  }`,
  "nodes/common/configuration.nix": `{ nodes, ... }: { seen.currentOs = nodes.current.os; }`,
  "nodes/srv/web/configuration.nix": `{ lib, lib', pkgs', modules', inputs', inputs, nodes, privatePath, ... }: {
    imports = [ modules'.foo ];
    seen = {
      libP = lib'.greet "web";
      deep = lib'.deep;
      hello = { inherit (pkgs'.hello) name awk answer viaScope; };
      inputsP = builtins.attrNames inputs';
      nixvimModules = inputs'.nixvim.modules;
      rawNixvim = inputs.nixvim.nixosModules;
      role = nodes.current.role;
      dbPort = nodes.db.config.port;
      groupNodes = builtins.attrNames nodes.srv.nodes;
      inherit privatePath;
    };
  }`,
  "nodes/srv/db/configuration.nix": `{ pkgs-unstable, inputs', ... }: {
    nixpkgs.hostPlatform = "x86_64-linux";
    port = 5432;
    seen.unstableSystem = pkgs-unstable.system;
    seen.inputsP = builtins.attrNames inputs';
  }`,
  "nodes/srv/web/users/alice/home.nix": `{ lib, lib', modules', inputs', nodes, pkgs', ... }: {
    imports = [ modules'.hmmod ];
    options.seen = lib.mkOption { type = lib.types.anything; };
    config.seen = { libP = lib'.answer; nixvim = inputs'.nixvim.modules; current = nodes.current.name; hello = pkgs'.hello.name; };
  }`,
  "nodes/srv/web/secrets.yaml": "",
  "nodes/mac/node.nix": `{ os = "darwin"; channel = "unstable"; }`,
  "nodes/mac/configuration.nix": `{ nodes, ... }: { nixpkgs.hostPlatform = "aarch64-darwin"; seen.name = nodes.current.name; }`,
};

const featuresData: FleetData = {
  hasPrivate: true,
  lib: ["lib.nix", "private/lib.nix"],
  pkgs: { hello: "pkgs/hello.nix", world: "private/pkgs/world.nix" },
  modules: {
    nixos: { foo: ["modules/nixos/foo.nix", "private/modules/nixos/foo.nix"] },
    home: { hmmod: ["modules/home/hmmod.nix"] },
  },
  inputTables: {
    "unstable/nixos": unstableNixos,
    "stable/nixos": { nixpkgs: "nixpkgs-stable-nixos", "nixpkgs-unstable": "nixpkgs-unstable" },
    "unstable/darwin": { nixpkgs: "nixpkgs-unstable", "nix-darwin": "nix-darwin-unstable" },
  },
  nodes: {
    web: {
      dir: "nodes/srv/web",
      os: "nixos",
      channel: "unstable",
      system: "x86_64-linux",
      parents: ["srv"],
      groups: ["srv"],
      meta: [
        ["nodes/srv/group.nix", "common"],
        ["nodes/srv/group.nix", "web"],
      ],
      configuration: ["nodes/common/configuration.nix", "nodes/srv/web/configuration.nix"],
      home: { alice: ["nodes/srv/web/users/alice/home.nix"] },
      secrets: "nodes/srv/web/secrets.yaml",
    },
    db: {
      dir: "nodes/srv/db",
      os: "nixos",
      channel: "stable",
      parents: ["srv"],
      groups: ["srv"],
      meta: [
        ["nodes/srv/group.nix", "common"],
        ["nodes/srv/group.nix", "db"],
      ],
      configuration: ["nodes/common/configuration.nix", "nodes/srv/db/configuration.nix"],
    },
    mac: {
      dir: "nodes/mac",
      os: "darwin",
      channel: "unstable",
      meta: [["nodes/mac/node.nix", null]],
      configuration: ["nodes/common/configuration.nix", "nodes/mac/configuration.nix"],
    },
  },
  groups: {
    srv: {
      dir: "nodes/srv",
      children: ["db", "web"],
      descendants: ["db", "web"],
      nodes: ["db", "web"],
    },
  },
};

const featuresInputs = [
  "nixpkgs-unstable",
  "nixpkgs-stable-nixos",
  "home-manager-unstable",
  "sops-nix-unstable",
  "disko-unstable",
  "nixvim-unstable",
  "nix-darwin-unstable",
];

describe.skipIf(missing !== null)("runtime over hand-written fleet data (tier B)", () => {
  const dir = missing
    ? ""
    : handFlake("features", null, featuresTree, featuresInputs, featuresData);

  it("evaluates meta: built-ins typed, custom keys freeform, args incl. inputs and inputs'", async () => {
    const v = await flakeValue(dir, "nixverse.meta.web");
    expect(v).toMatchObject({
      os: "nixos",
      channel: "unstable",
      system: "x86_64-linux",
      role: "server",
      greeting: "hi web 43",
      fromConfig: "web",
      deploy: { targetHost: "root@web", buildOnRemote: false, useSubstitutes: false, sshOpts: [] },
      // SPEC §3: install.targetHost defaults to deploy.targetHost.
      install: { targetHost: "root@web", buildOnRemote: false },
      renamed: ["disko", "home-manager", "nixpkgs", "nixvim", "sops-nix"],
    });
    const m = v as { tags: string[]; rawInputs: string[] };
    expect(m.tags).toEqual(["common"]);
    expect(m.rawInputs).toEqual([...featuresInputs].sort());
    // install.targetHost is null (not an error) when nothing sets a target.
    expect(await flakeValue(dir, "nixverse.meta.mac.install.targetHost")).toBeNull();
  });

  it("wires lib', pkgs', modules', inputs', inputs, nodes, privatePath into NixOS modules", async () => {
    const v = (await flakeValue(dir, "nixosConfigurations.web.config.seen")) as Record<
      string,
      unknown
    >;
    expect(v).toMatchObject({
      libP: "hi web 43",
      deep: { a: 1, b: 2 },
      hello: { name: "hello", awk: "gawk", answer: 43, viaScope: "world-private" },
      inputsP: ["disko", "home-manager", "nixpkgs", "nixvim", "sops-nix"],
      nixvimModules: { default: {} },
      rawNixvim: { default: {} },
      role: "server",
      dbPort: 5432,
      groupNodes: ["db", "web"],
      currentOs: "nixos",
    });
    expect(v.privatePath).toMatch(/^\/nix\/store\/[^/]+-source\/private$/);
  });

  it("imports modules' files public and private, sets hostName and hostPlatform from meta", async () => {
    const v = await flakeValue(
      dir,
      "nixosConfigurations.web.config",
      "c: { inherit (c) fooMod fooPriv; host = c.networking.hostName; platform = c.nixpkgs.hostPlatform.system; rsync = c.environment.systemPackages; }",
    );
    expect(v).toEqual({
      fooMod: "foo-public",
      fooPriv: "foo-private",
      host: "web",
      platform: "x86_64-linux",
      rsync: ["rsync"],
    });
  });

  it("home-manager: users' files with lib', modules' (home), inputs' (homeModules), nodes, pkgs'", async () => {
    const v = await flakeValue(
      dir,
      "nixosConfigurations.web.config.home-manager",
      "h: { inherit (h) useGlobalPkgs useUserPackages; inherit (h.users.alice) seen hmMod; }",
    );
    expect(v).toEqual({
      useGlobalPkgs: true,
      useUserPackages: true,
      seen: { libP: 43, nixvim: { default: {} }, current: "web", hello: "hello" },
      hmMod: "hm-module",
    });
  });

  it("sops-nix: imported with defaultSopsFile = the node's secrets.yaml in the flake source", async () => {
    const v = await flakeValue(dir, "nixosConfigurations.web.config.sops.defaultSopsFile");
    expect(v).toMatch(/^\/nix\/store\/[^/]+-source\/nodes\/srv\/web\/secrets\.yaml$/);
    expect(await flakeValue(dir, "nixosConfigurations.db.config", "c: c ? sops")).toBe(false);
  });

  it("a stable node gets pkgs-unstable and the -unstable extras, with its own nixpkgs", async () => {
    const v = await flakeValue(dir, "nixosConfigurations.db.config.seen");
    expect(v).toEqual({
      unstableSystem: "x86_64-linux",
      inputsP: ["nixpkgs", "nixpkgs-unstable"],
      currentOs: "nixos",
    });
    expect(
      await flakeValue(dir, "nixosConfigurations.db.standinArgs.specialArgs", "a: a ? privatePath"),
    ).toBe(true);
  });

  it("a darwin node is built with nix-darwin's darwinSystem", async () => {
    const v = await flakeValue(
      dir,
      "darwinConfigurations.mac.config",
      "c: { inherit (c) seen; p = c.nixpkgs.hostPlatform.system; }",
    );
    expect(v).toEqual({ seen: { name: "mac", currentOs: "darwin" }, p: "aarch64-darwin" });
  });

  it("exposes lib' as the lib output and apps running nixverse/run.sh for every flake-exposed system", async () => {
    expect(await flakeValue(dir, "lib", "l: { inherit (l) answer deep; }")).toEqual({
      answer: 43,
      deep: { a: 1, b: 2 },
    });
    const apps = (await flakeValue(
      dir,
      "apps",
      "a: builtins.mapAttrs (_: builtins.attrNames) a",
    )) as Record<string, string[]>;
    expect(Object.keys(apps)).toContain("x86_64-linux");
    expect(Object.keys(apps)).toContain("aarch64-darwin");
    expect(apps["x86_64-linux"]).toEqual(["default", "make", "nixverse"]);
    const app = (await flakeValue(dir, "apps.x86_64-linux.default")) as {
      type: string;
      program: string;
    };
    expect(app.type).toBe("app");
    expect(app.program).toMatch(/^\/nix\/store\/[^/]+-source\/nixverse\/run\.sh$/);
  });

  it("fleet.public: nodes without current, meta, data and plan", async () => {
    const v = await flakeValue(
      dir,
      "nixverse",
      "p: { nodes = builtins.attrNames p.nodes; meta = builtins.attrNames p.meta; version = p.data.version; plan = builtins.isFunction p.plan || builtins.isAttrs p.plan; }",
    );
    expect(v).toEqual({
      nodes: ["db", "mac", "srv", "web"],
      meta: ["db", "mac", "web"],
      version: 1,
      plan: true,
    });
  });

  it("fleet.public.secrets evaluates a master secrets expression with lib', inputs and nodes", async () => {
    const v = await flakeValue(
      dir,
      "nixverse",
      `nv: (nv.secrets ({ lib', inputs, nodes, ... }: { nodes.srv.k = "\${toString lib'.answer}-\${toString (builtins.length (builtins.attrNames inputs))}-\${nodes.web.name}"; })).nodes`,
    );
    expect(v).toEqual({ db: { k: "43-7-web" }, web: { k: "43-7-web" } });
  });
});

// Each error fixture is one node `n` whose meta or data is wrong in one way.
function errorFlake(
  name: string,
  nodeNix: string,
  groupCommon: string,
  data: Partial<FleetData["nodes"][string]> = {},
) {
  return handFlake(
    name,
    null,
    {
      "nodes/g/group.nix": `{ common = ${groupCommon}; n = { }; }`,
      "nodes/n/node.nix": nodeNix,
      "nodes/n/configuration.nix": `{ nixpkgs.hostPlatform = "x86_64-linux"; }`,
    },
    ["nixpkgs-unstable"],
    {
      inputTables: { "unstable/nixos": { nixpkgs: "nixpkgs-unstable" }, "unstable/darwin": {} },
      nodes: {
        n: {
          dir: "nodes/n",
          os: "nixos",
          channel: "unstable",
          parents: ["g"],
          groups: ["g"],
          meta: [
            ["nodes/g/group.nix", "common"],
            ["nodes/g/group.nix", "n"],
            ["nodes/n/node.nix", null],
          ],
          configuration: ["nodes/n/configuration.nix"],
          ...data,
        },
      },
      groups: { g: { dir: "nodes/g", children: ["n"], descendants: ["n"], nodes: ["n"] } },
    },
  );
}

describe.skipIf(missing !== null)("runtime errors name the file and attribute (tier B)", () => {
  it("conflicting meta values name both definitions (group.nix#common and node.nix)", async () => {
    const dir = errorFlake(
      "conflict",
      `{ os = "nixos"; channel = "stable"; }`,
      `{ channel = "unstable"; }`,
    );
    const e = await flakeError(dir, "nixverse.meta.n.channel");
    expect(e).toContain("The option `channel' has conflicting definition values");
    expect(e).toMatch(/nodes\/g\/group\.nix#common': "unstable"/);
    expect(e).toMatch(/nodes\/n\/node\.nix': "stable"/);
  });

  it("a wrongly typed built-in names the file#attr that set it", async () => {
    const dir = errorFlake(
      "type",
      `{ os = "nixos"; channel = "unstable"; }`,
      `{ deploy.buildOnRemote = "yes"; }`,
    );
    const e = await flakeError(dir, "nixverse.meta.n.deploy.buildOnRemote");
    expect(e).toContain("`deploy.buildOnRemote' is not of type `boolean'");
    expect(e).toMatch(/nodes\/g\/group\.nix#common': "yes"/);
  });

  it("a missing os names the node and its definition files", async () => {
    const dir = errorFlake("noos", `{ channel = "unstable"; }`, `{ }`);
    const e = await flakeError(dir, "nixverse.meta.n.deploy");
    expect(e).toContain("node n: missing meta configuration `os`");
    expect(e).toMatch(
      /nodes\/g\/group\.nix#common, .*nodes\/g\/group\.nix#n, .*nodes\/n\/node\.nix/,
    );
  });

  it("meta that disagrees with the generated os says to re-run nixverse-gen or make it literal", async () => {
    const dir = errorFlake(
      "drift",
      `{ lib, ... }: { os = if true then "darwin" else "nixos"; channel = "unstable"; }`,
      `{ }`,
    );
    const e = await flakeError(dir, "nixosConfigurations.n.config.networking.hostName");
    expect(e).toContain(
      'meta os evaluates to "darwin", but nixverse/fleet.nix (generated) says "nixos"',
    );
    expect(e).toContain("Re-run nixverse-gen, or make os a literal");
  });

  it("an undeclared wrongly-typed custom key is fine (freeform), a reserved one is refused", async () => {
    const ok = errorFlake(
      "custom",
      `{ os = "nixos"; channel = "unstable"; anything = { a = [ 1 ]; }; }`,
      `{ anything.b = 2; }`,
    );
    expect(await flakeValue(ok, "nixverse.meta.n.anything")).toEqual({ a: [1], b: 2 });
    const bad = errorFlake(
      "reserved",
      `{ os = "nixos"; channel = "unstable"; name = "x"; }`,
      `{ }`,
    );
    const e = await flakeError(bad, "nixverse.meta.n.os");
    expect(e).toContain("the meta key `name` is reserved");
  });

  it("meta assertions fail evaluation with their message", async () => {
    const dir = errorFlake(
      "assert",
      `{ os = "nixos"; channel = "unstable"; assertions = [ { assertion = false; message = "n needs a targetHost"; } ]; }`,
      `{ }`,
    );
    const e = await flakeError(dir, "nixverse.meta.n.os");
    expect(e).toContain("Failed assertions:");
    expect(e).toContain("n needs a targetHost");
  });

  it("a target host that ssh would read as an option is refused by the meta type", async () => {
    const dir = errorFlake(
      "dashhost",
      `{ os = "nixos"; channel = "unstable"; deploy.targetHost = "-oProxyCommand=touch /tmp/pwned"; install.targetHost = "-x"; }`,
      `{ }`,
    );
    expect(await flakeError(dir, "nixverse.meta.n.deploy.targetHost")).toContain(
      "SSH destination ([user@]host, not starting with -)",
    );
    expect(await flakeError(dir, "nixverse.meta.n.install.targetHost")).toContain(
      "not starting with -",
    );
    // and the default deploy.method is copy
    const ok = errorFlake("method", `{ os = "nixos"; channel = "unstable"; }`, `{ }`);
    expect(await flakeValue(ok, "nixverse.meta.n.deploy.method")).toBe("copy");
  });

  it("`system` implies os; a contradicting os is an assertion; unknown systems are refused", async () => {
    const implied = errorFlake(
      "sys",
      `{ system = "aarch64-darwin"; channel = "unstable"; }`,
      `{ }`,
      { os: "darwin" },
    );
    expect(await flakeValue(implied, "nixverse.meta.n.os")).toBe("darwin");
    const contra = errorFlake(
      "sys2",
      `{ system = "x86_64-linux"; os = "darwin"; channel = "unstable"; }`,
      `{ }`,
      {
        os: "darwin",
      },
    );
    expect(await flakeError(contra, "nixverse.meta.n.os")).toContain(
      "meta system `x86_64-linux` implies os `nixos`, but os is `darwin`",
    );
    const bsd = errorFlake("sys3", `{ system = "x86_64-freebsd"; channel = "unstable"; }`, `{ }`);
    expect(await flakeError(bsd, "nixverse.meta.n.os")).toContain(
      "Unsupported host system `x86_64-freebsd`",
    );
  });

  it("a node needing a conventional input flake.nix lacks gets Nixverse's message", async () => {
    const dir = errorFlake("noinput", `{ os = "nixos"; channel = "unstable"; }`, `{ }`, {
      diskConfig: ["nodes/n/configuration.nix"],
    });
    const e = await flakeError(dir, "nixosConfigurations.n.config.networking.hostName");
    expect(e).toContain("Missing the flake input disko-unstable, required by node n");
  });
});

describe.skipIf(missing !== null)("darwin with home-manager and system meta (tier B)", () => {
  const dir = missing
    ? ""
    : handFlake(
        "darwin-hm",
        null,
        {
          "nodes/mac/node.nix": `{ system = "aarch64-darwin"; channel = "stable"; }`,
          "nodes/mac/configuration.nix": `{ inputs', pkgs-unstable, ... }: { users.users.bob.home = "/Users/bob"; seen = { nd = builtins.attrNames inputs'; u = pkgs-unstable.system; }; }`,
          "nodes/mac/users/bob/home.nix": `{ lib, inputs', ... }: { options.seen = lib.mkOption { type = lib.types.anything; }; config.seen = builtins.attrNames inputs'; }`,
        },
        [
          "nixpkgs-stable-darwin",
          "nixpkgs-unstable",
          "nix-darwin-stable-darwin",
          "home-manager-stable-darwin",
        ],
        {
          inputTables: {
            "stable/darwin": {
              nixpkgs: "nixpkgs-stable-darwin",
              "nixpkgs-unstable": "nixpkgs-unstable",
              "nix-darwin": "nix-darwin-stable-darwin",
              "home-manager": "home-manager-stable-darwin",
            },
          },
          nodes: {
            mac: {
              dir: "nodes/mac",
              os: "darwin",
              channel: "stable",
              system: "aarch64-darwin",
              meta: [["nodes/mac/node.nix", null]],
              configuration: ["nodes/mac/configuration.nix"],
              home: { bob: ["nodes/mac/users/bob/home.nix"] },
            },
          },
        },
      );

  it("builds with nix-darwin, hostPlatform from `system`, home-manager's darwin module", async () => {
    const v = await flakeValue(
      dir,
      "darwinConfigurations.mac.config",
      "c: { inherit (c) seen; p = c.nixpkgs.hostPlatform.system; hm = c.home-manager.users.bob.seen; }",
    );
    expect(v).toEqual({
      seen: {
        nd: ["home-manager", "nix-darwin", "nixpkgs", "nixpkgs-unstable"],
        u: "aarch64-darwin",
      },
      p: "aarch64-darwin",
      hm: ["home-manager", "nix-darwin", "nixpkgs", "nixpkgs-unstable"],
    });
  });
});
