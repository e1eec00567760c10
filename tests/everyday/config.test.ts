// nixverse.yaml: every documented key accepted, every mistake reported at its file:line:col.
import { readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../generator/config/config.js";
import { formatDiagnostic } from "../../generator/errors.js";
import { makeTree, runCli, snapshot } from "../support/cli.js";
import { nixEnv } from "../support/nix.js";

function errorsOf(yaml: string): string[] {
  const r = parseConfig(yaml);
  if (r.ok) throw new Error("expected errors");
  return r.errors.map(formatDiagnostic);
}

describe("nixverse.yaml", () => {
  it("accepts every key the README documents", () => {
    const r = parseConfig(`# all of them
stable: 25.11
description: My machines
systems: [x86_64-linux, aarch64-darwin]
deploy:
  parallel: 4
  builders: "ssh-ng://big x86_64-linux - 8"
submodules: true
channels:
  edge: github:NixOS/nixpkgs/master
  lts:
    nixpkgs:
      nixos: github:NixOS/nixpkgs/nixos-25.05
      darwin: github:NixOS/nixpkgs/nixpkgs-25.05-darwin
    home-manager: github:nix-community/home-manager/release-25.05
    nix-darwin: github:nix-darwin/nix-darwin/nix-darwin-25.05
    sops-nix: github:Mic92/sops-nix
    disko: github:nix-community/disko
`);
    expect(r).toEqual({
      ok: true,
      value: {
        stable: "25.11",
        description: "My machines",
        systems: ["x86_64-linux", "aarch64-darwin"],
        deploy: { parallel: 4, builders: "ssh-ng://big x86_64-linux - 8" },
        submodules: true,
        channels: {
          edge: {
            nixpkgs: {
              nixos: "github:NixOS/nixpkgs/master",
              darwin: "github:NixOS/nixpkgs/master",
            },
          },
          lts: {
            nixpkgs: {
              nixos: "github:NixOS/nixpkgs/nixos-25.05",
              darwin: "github:NixOS/nixpkgs/nixpkgs-25.05-darwin",
            },
            "home-manager": "github:nix-community/home-manager/release-25.05",
            "nix-darwin": "github:nix-darwin/nix-darwin/nix-darwin-25.05",
            "sops-nix": "github:Mic92/sops-nix",
            disko: "github:nix-community/disko",
          },
        },
      },
    });
  });

  it("keeps a release as written (26.10 is not 26.1) and treats an empty file as defaults", () => {
    const r = parseConfig("stable: 26.10\n");
    expect(r.ok && r.value.stable).toBe("26.10");
    const empty = parseConfig("# nothing yet\n");
    expect(empty.ok && empty.value.deploy.parallel).toBe(10);
  });

  it("points at the offending key or value", () => {
    expect(errorsOf("stabel: 26.05\n")).toEqual([
      'nixverse.yaml:1:1: error: unknown setting "stabel" (did you mean "stable"?) (known settings: stable, channels, systems, description, deploy, submodules)',
    ]);
    expect(errorsOf("stable: latest\n")).toEqual([
      'nixverse.yaml:1:9: error: stable must be a NixOS release like "26.05", not "latest"',
    ]);
    expect(errorsOf("deploy:\n  parallel: 0\n")).toEqual([
      "nixverse.yaml:2:13: error: deploy.parallel must be an integer from 1 to 1024 (how many nodes run at once)",
    ]);
    // 1e20 is not a Nix integer (fleet.nix failed to evaluate); 100000 workers exhaust the machine
    for (const absurd of ["99999999999999999999", "100000", "1e6"])
      expect(errorsOf(`deploy:\n  parallel: ${absurd}\n`)).toEqual([
        "nixverse.yaml:2:13: error: deploy.parallel must be an integer from 1 to 1024 (how many nodes run at once)",
      ]);
    expect(errorsOf("deploy:\n  paralel: 2\n")).toEqual([
      "nixverse.yaml:2:3: error: unknown setting deploy.paralel (deploy takes only `parallel` and `builders`)",
    ]);
    expect(errorsOf("channels:\n  edge:\n    nixpkgs: nixpkgs-unstable\n")).toEqual([
      'nixverse.yaml:3:14: error: channels.edge.nixpkgs must be a flake URL such as "github:NixOS/nixpkgs/nixos-26.05"',
    ]);
    expect(errorsOf("channels:\n  edge:\n    home-manger: github:x/y\n")).toEqual([
      'nixverse.yaml:3:5: error: channels.edge: unknown input "home-manger" (did you mean "home-manager"?) (known: nixpkgs, home-manager, nix-darwin, sops-nix, disko)',
    ]);
    expect(errorsOf("channels:\n  my_channel: github:x/y\n")[0]).toMatch(
      /^nixverse\.yaml:2:3: error: channels: "my_channel" cannot be a channel name/,
    );
    expect(errorsOf("systems: [x86_64-linux, linux]\n")).toEqual([
      'nixverse.yaml:1:25: error: systems: "linux" is not a system such as x86_64-linux',
    ]);
    expect(errorsOf("- a\n")[0]).toMatch(
      /^nixverse\.yaml:1:1: error: nixverse\.yaml must be a mapping/,
    );
    expect(errorsOf("stable: 26.05\nstable: 26.11\n")[0]).toMatch(
      /^nixverse\.yaml:2:1: error: invalid YAML: Map keys must be unique/,
    );
  });

  it("stops gen with the location and writes nothing", async () => {
    const dir = makeTree({
      "nixverse.yaml": "description: fleet\ndeploy:\n  parallel: many\n",
      "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
      "nodes/a/configuration.nix": "{ }\n",
    });
    const before = snapshot(dir);
    const r = await runCli(["gen"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "nixverse.yaml:3:13: error: deploy.parallel must be an integer from 1 to 1024",
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it("submodules: true puts inputs.self.submodules into flake.nix, and silences the submodule hint", async () => {
    const tree = {
      "nodes/b/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
      "nodes/b/configuration.nix": "{ }\n",
      "nodes/a/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
      "nodes/a/configuration.nix": "{ }\n",
      // what `git submodule add` leaves: a .git file pointing into the outer repository
      "private/.git": "gitdir: ../.git/modules/private\n",
    };
    const plain = makeTree(tree);
    const r = await runCli(["gen"], plain);
    expect(r.code).toBe(0);
    // once, with a real node and the exact quoting a shell needs
    expect(r.stderr.match(/submodule/g)?.length).toBe(3);
    expect(r.stderr.split("\n").filter((l) => l.includes("warning")).length).toBe(1);
    expect(r.stderr).toContain("`sudo nixos-rebuild switch --flake '.?submodules=1#a'`");
    expect(r.stderr).toContain("`submodules: true` in nixverse.yaml");
    expect(readFileSync(path.join(plain, "flake.nix"), "utf8")).not.toContain("self.submodules");

    const opted = makeTree({ ...tree, "nixverse.yaml": "submodules: true\n" });
    const o = await runCli(["gen"], opted);
    expect(o.stderr).toBe("");
    expect(o.code).toBe(0);
    const v = await execa(
      "nix-instantiate",
      ["--eval", "--strict", "--json", "-E", `(import ${opted}/flake.nix).inputs.self`],
      { env: nixEnv() },
    );
    expect(JSON.parse(v.stdout)).toEqual({ submodules: true });
    expect(errorsOf("submodules: yes please\n")[0]).toMatch(
      /^nixverse\.yaml:1:13: error: submodules must be true or false/,
    );
  });

  it("decides the URLs of the inputs gen adds, as Nix reads the generated flake", async () => {
    const dir = makeTree({
      "nixverse.yaml":
        "description: edge fleet\nstable: 25.11\nchannels:\n  edge: github:NixOS/nixpkgs/master\n",
      "nodes/a/node.nix": '{ os = "nixos"; channel = "edge"; }\n',
      "nodes/b/node.nix": '{ os = "nixos"; channel = "stable"; }\n',
      "nodes/a/configuration.nix": "{ }\n",
      "nodes/b/configuration.nix": "{ }\n",
    });
    expect((await runCli(["gen"], dir)).code).toBe(0);
    const r = await execa(
      "nix-instantiate",
      [
        "--eval",
        "--strict",
        "--json",
        "-E",
        `let f = import ${path.join(dir, "flake.nix")}; in { d = f.description; i = builtins.mapAttrs (_: i: i.url) f.inputs; }`,
      ],
      { env: nixEnv() },
    );
    const v = JSON.parse(r.stdout) as { d: string; i: Record<string, string> };
    expect(v.d).toBe("edge fleet");
    expect(v.i["nixpkgs-edge-nixos"]).toBe("github:NixOS/nixpkgs/master");
    expect(v.i["nixpkgs-stable-nixos"]).toBe("github:NixOS/nixpkgs/nixos-25.11");
  });
});
