// nixverse.yaml: every documented key accepted, every mistake reported at its file:line:col.
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
        deploy: { parallel: 4 },
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
      'nixverse.yaml:1:1: error: unknown setting "stabel" (did you mean "stable"?) (known settings: stable, channels, systems, description, deploy)',
    ]);
    expect(errorsOf("stable: latest\n")).toEqual([
      'nixverse.yaml:1:9: error: stable must be a NixOS release like "26.05", not "latest"',
    ]);
    expect(errorsOf("deploy:\n  parallel: 0\n")).toEqual([
      "nixverse.yaml:2:13: error: deploy.parallel must be a positive integer (how many nodes run at once)",
    ]);
    expect(errorsOf("deploy:\n  paralel: 2\n")).toEqual([
      "nixverse.yaml:2:3: error: unknown setting deploy.paralel (deploy takes only `parallel`)",
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
      "nixverse.yaml:3:13: error: deploy.parallel must be a positive integer",
    );
    expect(snapshot(dir)).toEqual(before);
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
