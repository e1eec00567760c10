// Tier A (always): the runtime library parses with Nix, and its pieces that need no nixpkgs
// evaluate correctly over a few builtins standing in for `lib`.

import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gen } from "./support/generate.js";
import { repoRoot, run, runtimeDir, tempDir } from "./support/nix.js";

const runtimeFiles = readdirSync(runtimeDir).filter((f) => f.endsWith(".nix"));

// Just the lib functions inputs.nix, util.nix and entities.nix use, from builtins.
const miniLib = `{
  mapAttrs = builtins.mapAttrs;
  optionalAttrs = c: a: if c then a else { };
  optionalString = c: s: if c then s else "";
  isFunction = builtins.isFunction;
  functionArgs = builtins.functionArgs;
  genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
  isAttrs = builtins.isAttrs;
  isList = builtins.isList;
  elem = builtins.elem;
  assertMsg = c: m: c || throw m;
  concatMapStringsSep = sep: f: l: builtins.concatStringsSep sep (map f l);
  removePrefix = p: s: let n = builtins.stringLength p; in if builtins.substring 0 n s == p then builtins.substring n (-1) s else s;
  reverseList = l: let n = builtins.length l; in builtins.genList (i: builtins.elemAt l (n - i - 1)) n;
}`;

async function evalJson(expr: string): Promise<unknown> {
  const r = await run("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as unknown;
}

async function evalError(expr: string): Promise<string> {
  const r = await run("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr]);
  if (r.code === 0) throw new Error(`expected an error, got ${r.stdout}`);
  return r.stderr;
}

describe("runtime-nix parses", () => {
  it("has the entry point and its parts", () => {
    for (const f of [
      "default.nix",
      "meta.nix",
      "meta-options.nix",
      "system.nix",
      "inputs.nix",
      "entities.nix",
    ]) {
      expect(runtimeFiles).toContain(f);
    }
  });
  it.each(runtimeFiles)(
    "%s scans nothing (structure comes from fleet.nix) and uses no experimental syntax",
    (file) => {
      const src = readFileSync(join(runtimeDir, file), "utf8").replace(/#.*$/gm, "");
      expect(src).not.toMatch(/\b(readDir|pathExists|readFileType)\b/);
      expect(src).not.toMatch(/\|>|<\|/);
    },
  );
  it.each(runtimeFiles)("%s parses with nix-instantiate --parse", async (file) => {
    const r = await run("nix-instantiate", ["--parse", join(runtimeDir, file)]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("input renaming from the generated tables (inputs.nix)", () => {
  // Inputs with every kind of module set; `self` must vanish.
  const setup = `
    let
      lib = ${miniLib};
      inputs = {
        self = { isSelf = true; };
        nixpkgs-stable-nixos = { lib = "stable-lib"; nixosModules = { n = 1; }; };
        nixpkgs-unstable = { legacyPackages = { x86_64-linux = "unstable-pkgs"; }; };
        home-manager-stable = { nixosModules.home-manager = "hm-nixos"; darwinModules.home-manager = "hm-darwin"; homeManagerModules = { hmm = 1; }; homeModules = { hm = 1; }; };
        nixvim-any = { nixosModules.nixvim = "nv-nixos"; homeModules.nixvim = "nv-home"; packages.x86_64-linux.default = "nv"; };
        plain = { packages = { }; };
      };
      data = {
        inputTables = {
          "stable/nixos" = { nixpkgs = "nixpkgs-stable-nixos"; nixpkgs-unstable = "nixpkgs-unstable"; home-manager = "home-manager-stable"; nixvim = "nixvim-any"; };
          "stable/darwin" = { home-manager = "home-manager-stable"; ghost = "ghost-stable"; };
        };
      };
      r = import ${join(runtimeDir, "inputs.nix")} { inherit lib inputs data; };
      web = { os = "nixos"; channel = "stable"; inputs = "stable/nixos"; };
      mac = { os = "darwin"; channel = "stable"; inputs = "stable/darwin"; };
    in`;

  it("drops self and keeps homeManagerModules only as homeModules (preferred over homeModules)", async () => {
    const v = await evalJson(`${setup} {
      names = builtins.attrNames r.raw;
      hm = r.raw.home-manager-stable.homeModules;
      hasOld = r.raw.home-manager-stable ? homeManagerModules;
    }`);
    expect(v).toEqual({
      names: [
        "home-manager-stable",
        "nixpkgs-stable-nixos",
        "nixpkgs-unstable",
        "nixvim-any",
        "plain",
      ],
      hm: { hmm: 1 },
      hasOld: false,
    });
  });

  it("inputs' for OS modules: renamed, modules = the os module set, no raw module sets", async () => {
    const v = await evalJson(`${setup} let o = r.forOs "web" web; d = r.forOs "mac" mac; in {
      names = builtins.attrNames o;
      nixvimModules = o.nixvim.modules;
      nixvimPackages = o.nixvim.packages;
      hmNixos = o.home-manager.modules;
      hmDarwin = d.home-manager.modules;
      leaked = builtins.filter (n: o.nixvim ? \${n}) [ "nixosModules" "darwinModules" "homeModules" ];
      nixpkgsLib = o.nixpkgs.lib;
    }`);
    expect(v).toEqual({
      names: ["home-manager", "nixpkgs", "nixpkgs-unstable", "nixvim"],
      nixvimModules: { nixvim: "nv-nixos" },
      nixvimPackages: { "x86_64-linux": { default: "nv" } },
      hmNixos: { "home-manager": "hm-nixos" },
      hmDarwin: { "home-manager": "hm-darwin" },
      leaked: [],
      nixpkgsLib: "stable-lib",
    });
  });

  it("inputs' for home-manager modules: modules = homeModules", async () => {
    const v = await evalJson(`${setup} let h = r.forHome "web" web; in {
      nixvim = h.nixvim.modules;
      hm = h.home-manager.modules;
    }`);
    expect(v).toEqual({ nixvim: { nixvim: "nv-home" }, hm: { hmm: 1 } });
  });

  it("home inputs' without home modules fail naming the input and the node", async () => {
    const e = await evalError(`${setup} (r.forHome "web" web).nixpkgs.modules`);
    expect(e).toContain("the flake input nixpkgs-stable-nixos has no homeModules");
    expect(e).toContain("node web");
  });

  it("renamed raw inputs keep their module sets under the renamed name", async () => {
    const v = await evalJson(`${setup} (r.renamedRaw "web" web).nixvim.nixosModules`);
    expect(v).toEqual({ nixvim: "nv-nixos" });
  });

  it("a missing conventional input gives Nixverse's message naming the node", async () => {
    const e = await evalError(`${setup} r.require "mac" mac (r.forOs "mac" mac) "nixpkgs"`);
    expect(e).toContain("Missing the flake input nixpkgs-stable-darwin, required by node mac");
    const u = await evalError(
      `${setup} r.require "n" { os = "nixos"; channel = "unstable"; } { } "sops-nix"`,
    );
    expect(u).toContain("Missing the flake input sops-nix-unstable, required by node n");
  });

  it("a table entry naming an input flake.nix lacks says to re-run the generator", async () => {
    const e = await evalError(`${setup} (r.forOs "mac" mac).ghost`);
    expect(e).toContain("node mac expects the flake input ghost-stable (as ghost)");
    expect(e).toContain("re-run nixverse-gen");
  });
});

describe("the nodes argument (entities.nix)", () => {
  const setup = `
    let
      lib = ${miniLib};
      data = {
        nodes = {
          n1 = { dir = "nodes/n1"; parents = [ "a" "b" ]; groups = [ "top" "a" "b" ]; };
          n2 = { dir = "nodes/b/n2"; parents = [ "b" ]; groups = [ "top" "b" ]; };
        };
        groups = {
          top = { dir = "nodes/top"; parents = [ ]; groups = [ ]; children = [ "a" "b" ]; descendants = [ "a" "b" "n1" "n1" "n2" ]; nodes = [ "n1" "n2" ]; };
          a = { dir = "nodes/a"; parents = [ "top" ]; groups = [ "top" ]; children = [ "n1" ]; descendants = [ "n1" ]; nodes = [ "n1" ]; };
          b = { dir = "nodes/b"; parents = [ "top" ]; groups = [ "top" ]; children = [ "n1" "n2" ]; descendants = [ "n1" "n2" ]; nodes = [ "n1" "n2" ]; };
        };
      };
      metas = {
        n1 = { os = "nixos"; channel = "unstable"; custom = 7; };
        n2 = throw "n2's meta must not be evaluated";
      };
      systems = {
        n1 = { config.answer = 42; };
        n2 = throw "n2's system must not be evaluated";
      };
      e = import ${join(runtimeDir, "entities.nix")} { inherit lib data metas systems; flakePath = /flake; };
      nodes = e.forNode "n1";
    in`;

  it("exposes the read-only attributes of nodes and groups, and current", async () => {
    const v = await evalJson(`${setup} {
      current = { inherit (nodes.current) name type path privatePath os channel custom; };
      parents = builtins.attrNames nodes.n1.parents;
      groups = builtins.attrNames nodes.n1.groups;
      config = nodes.current.config.answer;
      group = { inherit (nodes.b) name type path; };
      children = builtins.attrNames nodes.top.children;
      descendants = builtins.attrNames nodes.top.descendants;
      groupNodes = builtins.attrNames nodes.top.nodes;
      viaGroup = nodes.a.nodes.n1.custom;
      globalHasCurrent = e.all ? current;
    }`);
    expect(v).toEqual({
      current: {
        name: "n1",
        type: "node",
        path: "/flake/nodes/n1",
        privatePath: "/flake/private/nodes/n1",
        os: "nixos",
        channel: "unstable",
        custom: 7,
      },
      parents: ["a", "b"],
      groups: ["a", "b", "top"],
      config: 42,
      group: { name: "b", type: "group", path: "/flake/nodes/b" },
      children: ["a", "b"],
      descendants: ["a", "b", "n1", "n2"],
      groupNodes: ["n1", "n2"],
      viaGroup: 7,
      globalHasCurrent: false,
    });
  });

  it("reading one node never evaluates another's meta or system", async () => {
    // n2 is reachable through groups; only its name as a key is needed.
    const v = await evalJson(`${setup} builtins.attrNames nodes.b.children`);
    expect(v).toEqual(["n1", "n2"]);
    const e = await evalError(`${setup} nodes.n2.name`);
    expect(e).toContain("n2's meta must not be evaluated");
  });
});

describe("meta definition calls (util.nix)", () => {
  const util = `(import ${join(runtimeDir, "util.nix")} { lib = ${miniLib}; })`;
  it("passes only the formals a function declares, everything to a bare lambda", async () => {
    const v =
      await evalJson(`let u = ${util}; args = { lib = 1; "lib'" = 2; inputs = 3; "inputs'" = 4; nodes = 5; }; in {
      exact = u.callWith args ({ lib, lib', inputs, nodes }: lib + lib' + inputs + nodes);
      ellipsis = u.callWith args ({ inputs', ... }: inputs');
      bare = u.callWith args (a: builtins.attrNames a);
      value = u.callWith args { x = 1; };
    }`);
    expect(v).toEqual({
      exact: 11,
      ellipsis: 4,
      bare: ["inputs", "inputs'", "lib", "lib'", "nodes"],
      value: { x: 1 },
    });
  });
  it("a function asking for config fails like Nixverse (config is not a meta argument)", async () => {
    const e = await evalError(
      `let u = ${util}; in u.callWith { lib = 1; } ({ config, ... }: config)`,
    );
    expect(e).toContain("called without required argument 'config'");
  });
  it("names definitions file#attr, and node files alone", async () => {
    const dir = tempDir("loc");
    writeFileSync(join(dir, "group.nix"), "{ }");
    const v = await evalJson(`let u = ${util}; in [
      (u.defLocation { file = ${dir}/group.nix; attr = "common"; })
      (u.defLocation { file = ${dir}/group.nix; attr = null; })
    ]`);
    expect(v).toEqual([`${dir}/group.nix#common`, `${dir}/group.nix`]);
  });
});

describe("user outputs without flake-parts (outputs.nix over builtins)", () => {
  // Output files live in a temp flake dir; data refers to them as Nix paths, as fleet.nix does.
  const dir = tempDir("outputs-a");
  const files: Record<string, string> = {
    "outputs/flake/templates.nix":
      "{ lib, nodes, ... }: { basic = { path = 1; }; nodeNames = builtins.attrNames nodes; }",
    "private/outputs/flake/templates.nix": "{ extra = { path = 2; }; }",
    "outputs/flake/overlays.nix": '[ "public" ]',
    "private/outputs/flake/overlays.nix": '[ "private" ]',
    "outputs/perSystem/packages.nix":
      "{ system, pkgs, ... }: { which = system; fromPkgs = pkgs.tag; }",
    "outputs/flake/lib.nix": "{ x = 1; }",
    "outputs/flake/nixverse.nix": "{ x = 1; }",
    "outputs/flake/nixosConfigurations.nix": "{ x = 1; }",
    "outputs/flake/darwinConfigurations.nix": "{ x = 1; }",
    "outputs/perSystem/apps.nix": "{ system, ... }: { hi = system; }",
    "outputs/flake/clash.nix": "{ a = 1; }",
    "private/outputs/flake/clash.nix": "{ a = 2; }",
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  const call = (flake: string, perSystem: string) => `
    let
      lib = ${miniLib};
      o = import ${join(runtimeDir, "outputs.nix")} {
        inherit lib;
        data.outputs = { flake = { ${flake} }; perSystem = { ${perSystem} }; flakeParts = [ ]; };
        flakePath = ${dir};
        inputs = { };
        userInputs = { };
        userLib = { };
        userPkgs = pkgs: { };
        userModules = { };
        nodes = { n1 = { }; g = { }; };
        systems = [ "x86_64-linux" "aarch64-darwin" ];
        libInput.legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-darwin" ] (s: { tag = "pkgs-\${s}"; });
      };
    in`;
  const f = (name: string, ...rels: string[]) =>
    `${name} = [ ${rels.map((r) => `${dir}/${r}`).join(" ")} ];`;

  it("merges public and private files, lists private first, and expands perSystem outputs", async () => {
    const v = await evalJson(
      `${call(
        f("templates", "outputs/flake/templates.nix", "private/outputs/flake/templates.nix") +
          f("overlays", "outputs/flake/overlays.nix", "private/outputs/flake/overlays.nix"),
        f("packages", "outputs/perSystem/packages.nix") + f("apps", "outputs/perSystem/apps.nix"),
      )} { inherit (o) outputs userApps appSource; }`,
    );
    expect(v).toEqual({
      outputs: {
        templates: { basic: { path: 1 }, extra: { path: 2 }, nodeNames: ["g", "n1"] },
        overlays: ["private", "public"],
        packages: {
          "x86_64-linux": { which: "x86_64-linux", fromPkgs: "pkgs-x86_64-linux" },
          "aarch64-darwin": { which: "aarch64-darwin", fromPkgs: "pkgs-aarch64-darwin" },
        },
      },
      userApps: {
        "x86_64-linux": { hi: "x86_64-linux" },
        "aarch64-darwin": { hi: "aarch64-darwin" },
      },
      appSource: "outputs/perSystem/apps.nix",
    });
  });

  it.each([
    ["lib", "Do not specify the lib flake output, it is generated automatically"],
    ["nixverse", "Do not specify the nixverse flake output, it is used internally by nixverse"],
    [
      "nixosConfigurations",
      "Do not specify the nixosConfigurations flake output, it is generated automatically",
    ],
    [
      "darwinConfigurations",
      "Do not specify the darwinConfigurations flake output, it is generated automatically",
    ],
  ])("refuses a user %s output", async (name, message) => {
    const e = await evalError(`${call(f(name, `outputs/flake/${name}.nix`), "")} o.outputs`);
    expect(e).toContain(message);
  });

  it("names both files when public and private define the same key", async () => {
    const e = await evalError(
      `${call(f("clash", "outputs/flake/clash.nix", "private/outputs/flake/clash.nix"), "")} o.outputs`,
    );
    expect(e).toContain(
      "Output `clash.a` is defined in both `private/outputs/flake/clash.nix` and `outputs/flake/clash.nix`",
    );
  });
});

describe("generated fleet data matches the runtime's contract (docs/fleet-data.md)", () => {
  const examples = ["quickstart", "cluster", "fleet"];
  it.each(examples)(
    "examples/%s: generated files parse and fleet.nix has every field the runtime reads",
    async (name) => {
      const dir = tempDir(`contract-${name}`);
      cpSync(join(repoRoot, "examples", name), dir, { recursive: true });
      const g = await gen(dir);
      expect(g.code, g.stderr).toBe(0);
      for (const f of [
        "flake.nix",
        "nixverse/fleet.nix",
        ...runtimeFiles.map((r) => `nixverse/lib/${r}`),
      ]) {
        const r = await run("nix-instantiate", ["--parse", join(dir, f)]);
        expect(r.code, `${f}: ${r.stderr}`).toBe(0);
      }
      const check = await evalJson(`
      let
        d = import ${dir}/nixverse/fleet.nix;
        nodeKeys = [ "channel" "configuration" "diskConfig" "dir" "groups" "hardware" "home" "hostKeyPub" "inputs" "meta" "os" "parents" "secrets" "system" ];
        groupKeys = [ "children" "descendants" "dir" "groups" "nodes" "parents" ];
        missing = keys: set: builtins.filter (k: !(set ? \${k})) keys;
      in {
        top = missing [ "groups" "hasPrivate" "inputTables" "lib" "libInput" "modules" "nodes" "outputs" "pkgs" "version" ] d;
        outputs = missing [ "flake" "flakeParts" "perSystem" "systems" ] d.outputs;
        modules = missing [ "darwin" "flake" "home" "nixos" ] d.modules;
        nodes = builtins.mapAttrs (n: v: missing nodeKeys v ++ (if d.inputTables ? \${v.inputs} then [ ] else [ "inputTables.\${v.inputs}" ]) ++ map (m: if builtins.pathExists m.file && (m.attr == null || builtins.isString m.attr) then "" else "meta \${toString m.file}") v.meta) d.nodes;
        groups = builtins.mapAttrs (n: v: missing groupKeys v) d.groups;
        version = d.version;
      }`);
      const c = check as {
        top: string[];
        outputs: string[];
        modules: string[];
        nodes: Record<string, string[]>;
        groups: Record<string, string[]>;
        version: number;
      };
      expect(c.version).toBe(1);
      expect(c.top).toEqual([]);
      expect(c.outputs).toEqual([]);
      expect(c.modules).toEqual([]);
      expect(Object.keys(c.nodes).length).toBeGreaterThan(0);
      for (const [n, problems] of Object.entries(c.nodes))
        expect(
          problems.filter((p) => p !== ""),
          n,
        ).toEqual([]);
      for (const [g, problems] of Object.entries(c.groups)) expect(problems, g).toEqual([]);
    },
  );
});

describe("docs/fleet-data.md documents every field gen writes", () => {
  it("top-level, node (incomplete ones too) and group fields all appear in its fleet.nix block", async () => {
    const dir = tempDir("contract-doc");
    cpSync(join(repoRoot, "examples", "quickstart"), dir, { recursive: true });
    // An incomplete node of each kind: `unbuildable` (no configuration.nix), `broken` (no channel).
    mkdirSync(join(dir, "nodes", "bare"), { recursive: true });
    writeFileSync(
      join(dir, "nodes", "bare", "host.nix"),
      '{ os = "nixos"; channel = "unstable"; }\n',
    );
    mkdirSync(join(dir, "nodes", "nochan"), { recursive: true });
    writeFileSync(join(dir, "nodes", "nochan", "host.nix"), '{ os = "nixos"; }\n');
    writeFileSync(join(dir, "nodes", "nochan", "configuration.nix"), "{ }\n");
    const g = await gen(dir);
    expect(g.code, g.stderr).toBe(0);
    const keys = (await evalJson(`
      let d = import ${dir}/nixverse/fleet.nix; in {
        top = builtins.attrNames d;
        node = builtins.concatMap builtins.attrNames (builtins.attrValues d.nodes);
        group = builtins.concatMap builtins.attrNames (builtins.attrValues d.groups);
      }`)) as Record<string, string[]>;
    expect(keys.node).toContain("broken");
    expect(keys.node).toContain("unbuildable");
    expect(keys.top).toContain("nodeType");
    const doc = readFileSync(join(repoRoot, "docs", "fleet-data.md"), "utf8");
    const block = doc.slice(doc.indexOf("## nixverse/fleet.nix"));
    const documented = new Set([...block.matchAll(/^\s*([A-Za-z][\w-]*) =/gm)].map((m) => m[1]));
    const undocumented = [...new Set([...keys.top!, ...keys.node!, ...keys.group!])].filter(
      (k) => !documented.has(k),
    );
    expect(undocumented).toEqual([]);
  });
});
