// The README's walk-through, run: every file it shows is written, every shell line is executed
// (npx nixverse-gen → the CLI; age-keygen, mkdir, rm, cd for real) or, where it would touch a
// machine (nixos-rebuild, node install), checked by evaluating what it would use. The Mermaid
// pictures must be what `show --mermaid` prints, and the other README snippets are run too.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../generator/config/config.js";
import { repoRoot, runCli, type CliRun } from "../support/cli.js";
import { flakeInputNames, overrideArgs, writeFixtureInputs } from "../support/flake-fixtures.js";
import { NIX_CONFIG, nixEvalJson, tempDir } from "../support/nix.js";
import { flakeValue, overridesFor, run, tierBMissing } from "../runtime/support/nix.js";

const README = readFileSync(path.join(repoRoot, "README.md"), "utf8");

interface Block {
  lang: string;
  body: string;
}

function blocks(text: string): Block[] {
  const out: Block[] = [];
  const re = /^```(\w*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m = re.exec(text); m; m = re.exec(text))
    out.push({ lang: m[1] ?? "", body: m[2] ?? "" });
  return out;
}

function section(start: string, end: string): string {
  const a = README.indexOf(start);
  const b = README.indexOf(end, a);
  if (a < 0 || b < 0) throw new Error(`README has no ${start} … ${end}`);
  return README.slice(a, b);
}

/** `# path/to/file` on a block's first line names the file it shows. */
function fileOf(b: Block): string | null {
  const m = /^# ([\w.'-]+(?:\/[\w.'-]+)*\.(?:nix|yaml))\s*$/.exec(b.body.split("\n")[0] ?? "");
  return m?.[1] ?? null;
}

/** Files listed in a tree drawing (├── name), as paths relative to its root. */
function treeFiles(body: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of body.split("\n").slice(1)) {
    const m = /^([│ ]*)[├└]── ([^\s#]+)/.exec(line);
    if (!m) continue;
    const depth = [...m[1]!].length / 4;
    stack.length = depth;
    const name = m[2]!;
    if (name.endsWith("/")) stack.push(name.slice(0, -1));
    else out.push([...stack, name].join("/"));
  }
  return out;
}

const tierB = tierBMissing();
if (tierB) console.log(`SKIPPED: the walk-through's machine-level checks (tier B): ${tierB}`);

describe("README walk-through", () => {
  it("runs from init to install", async () => {
    const walk = blocks(section("<!-- walkthrough", "<!-- /walkthrough -->"));
    expect(walk.length).toBeGreaterThan(15);
    const work = tempDir("nixverse-readme-");
    const home = tempDir("nixverse-home-");
    const fx = writeFixtureInputs();
    let cwd = work;
    let editorContent: string | null = null;
    const log: string[] = [];
    const checkedOnMachine: string[] = [];
    const env = {
      HOME: home,
      SOPS_AGE_KEY: undefined,
      SOPS_AGE_KEY_FILE: undefined,
      XDG_CONFIG_HOME: undefined,
    };
    let lastGen: CliRun | null = null;

    const cli = async (args: string[]) => {
      let extra: string[] = [];
      let runEnv: NodeJS.ProcessEnv = env;
      if (args[0] === "secrets") {
        // Offline: every input of the flake replaced by a fixture (the real command fetches them).
        extra = overrideArgs(await flakeInputNames(cwd), fx);
        if (editorContent === null)
          throw new Error("no `# secrets edit` block follows `secrets edit`");
        const script = path.join(home, "editor.sh");
        writeFileSync(path.join(home, "edit.content"), editorContent);
        writeFileSync(script, `#!/bin/sh\ncat '${path.join(home, "edit.content")}' > "$1"\n`);
        chmodSync(script, 0o755);
        runEnv = {
          ...env,
          EDITOR: script,
          SOPS_EDITOR: undefined,
          NIX_CONFIG,
        };
      }
      const r = await runCli([...args, ...extra], cwd, runEnv);
      if (r.code !== 0)
        throw new Error(`npx nixverse-gen ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
      return r;
    };

    const listed = async (attr: string) =>
      (await nixEvalJson([
        `path:${cwd}#${attr}`,
        "--apply",
        "builtins.attrNames",
        ...overrideArgs(await flakeInputNames(cwd), fx),
      ])) as string[];

    const shell = async (line: string) => {
      const npx = /^nixverse-gen(?: (.*))?$/.exec(line);
      const cd = /^cd (\S+)$/.exec(line);
      const rebuild = /^sudo nixos-rebuild switch --flake \.#(\S+)$/.exec(line);
      const nodeCmd = /^nix run \. -- node (deploy|build|install) (.+)$/.exec(line);
      if (npx) {
        const args = (npx[1] ?? "").split(/\s+/).filter(Boolean);
        const r = await cli(args);
        if (args.length === 0 || args[0] === "gen" || args[0] === "init") lastGen = r;
        if (args[0] === "show" && args[1] === "--mermaid") log.push(r.stdout);
      } else if (cd) {
        cwd = path.resolve(cwd, cd[1]!);
      } else if (/^(mkdir -p|age-keygen|rm -r) /.test(line)) {
        const r = await execa("sh", ["-c", line], {
          cwd,
          env: { ...process.env, ...env, HOME: home },
          reject: false,
        });
        if (r.exitCode !== 0) throw new Error(`${line} failed: ${r.stderr}`);
        if (line.startsWith("age-keygen"))
          log.push(`age:${/age1[0-9a-z]+/.exec(r.stderr + r.stdout)?.[0]}`);
      } else if (rebuild) {
        // On a machine this builds the configuration; here: it is a NixOS configuration of the flake.
        expect(await listed("nixosConfigurations")).toContain(rebuild[1]);
        checkedOnMachine.push(rebuild[1]!);
      } else if (nodeCmd) {
        // The names must be nodes or groups of the fleet; tier B evaluates the runner's plan below.
        const data = (await nixEvalJson([
          "--file",
          path.join(cwd, "nixverse/fleet.nix"),
          "--apply",
          "d: builtins.attrNames d.nodes ++ builtins.attrNames d.groups",
        ])) as string[];
        for (const n of nodeCmd[2]!.split(" ")) expect(data).toContain(n);
        checkedOnMachine.push(line);
      } else {
        throw new Error(
          `the README walk-through runs \`${line}\`, which this test does not know how to check`,
        );
      }
    };

    const ageKey = () => log.find((l) => l.startsWith("age:"))?.slice(4);

    for (let i = 0; i < walk.length; i++) {
      const b = walk[i]!;
      const file = fileOf(b);
      if ((b.lang === "nix" || b.lang === "yaml") && file) {
        let body = b.body;
        if (file === ".sops.yaml") body = body.replace("age1...", ageKey() ?? "age1-missing");
        mkdirSync(path.dirname(path.join(cwd, file)), { recursive: true });
        writeFileSync(path.join(cwd, file), body);
      } else if (b.lang === "nix" && b.body.startsWith("# secrets edit")) {
        // Content for the `secrets edit` above it: handled when that command ran.
      } else if (b.lang === "sh") {
        for (const raw of b.body.split("\n")) {
          const line = raw.replace(/\s+#.*$/, "").trim();
          if (!line) continue;
          if (line === "nixverse-gen secrets edit") {
            editorContent =
              walk.slice(i + 1).find((x) => x.lang === "nix" && x.body.startsWith("# secrets edit"))
                ?.body ?? null;
          }
          await shell(line);
        }
      } else if (b.lang === "mermaid") {
        expect(log.at(-1), "the Mermaid picture is what show --mermaid printed just before").toBe(
          b.body,
        );
      } else if (b.lang === "" && b.body.startsWith("my-fleet/")) {
        for (const f of treeFiles(b.body))
          expect(existsSync(path.join(work, "my-fleet", f)), f).toBe(true);
      } else {
        throw new Error(
          `README walk-through block ${i} (${b.lang || "plain"}) is not checked by this test:\n${b.body}`,
        );
      }
    }

    // What the prose promises about the finished fleet.
    expect(checkedOnMachine).toEqual(["my-node", "nix run . -- node install servers routers"]);
    const gen = lastGen as CliRun | null;
    expect(gen).not.toBeNull();
    const inputs = await flakeInputNames(cwd);
    for (const i of [
      "nixpkgs-unstable",
      "sops-nix-unstable",
      "home-manager-unstable",
      "disko-unstable",
    ])
      expect(inputs).toContain(i);
    expect(await listed("nixosConfigurations")).toEqual([
      "router1",
      "router2",
      "server1",
      "server2",
    ]);
    for (const n of ["router1", "router2"]) {
      expect(existsSync(path.join(cwd, `nodes/routers/${n}/secrets.yaml`)), n).toBe(true);
      expect(
        existsSync(path.join(cwd, `nodes/routers/${n}/fs/etc/ssh/ssh_host_ed25519_key.pub`)),
        n,
      ).toBe(true);
    }
    expect(existsSync(path.join(cwd, "nodes/servers/server1/secrets.yaml"))).toBe(false);
    expect(existsSync(path.join(cwd, "secrets.yaml"))).toBe(true);
    expect(readFileSync(path.join(cwd, "secrets.yaml"), "utf8")).not.toContain("mypassword");

    // The picture of the README's "fleet picture" section: the same fleet, now with secrets.
    const picture = blocks(section("## The fleet picture", "## nixverse.yaml")).find(
      (b) => b.lang === "mermaid",
    );
    expect(picture?.body).toBe((await cli(["show", "--mermaid"])).stdout);

    if (tierB) return;
    // Tier B: the real module system (stand-in nixpkgs, real home-manager, sops-nix, disko).
    const cfg = async (node: string, apply: string) =>
      flakeValue(cwd, `nixosConfigurations.${node}.config`, apply);
    expect(await cfg("server1", "c: c.networking.hostName")).toBe("server1");
    expect(
      await cfg("server1", "c: [ c.services.openssh.enable c.boot.loader.grub.enable ]"),
    ).toEqual([true, true]);
    expect(
      await cfg(
        "server2",
        "c: let u = c.home-manager.users.root; in [ u.programs.fish.enable u.programs.helix.enable u.home.stateVersion ]",
      ),
    ).toEqual([true, true, "24.05"]);
    const r1 = (await cfg(
      "router1",
      'c: [ (toString c.sops.defaultSopsFile) c.environment.etc."ppp/pap-secrets".text ]',
    )) as string[];
    expect(r1[0]).toMatch(/nodes\/routers\/router1\/secrets\.yaml$/);
    expect(r1[1]).toBe("pppoe-username * @/run/secrets/pppoePassword *");
    expect(await cfg("router2", "c: c.disko.devices.disk.main.device")).toBe("/dev/sda");
    // NixOS refuses GRUB without a device to install to: with disko, an EF02 partition gives it.
    expect(await cfg("server1", "c: c.boot.loader.grub.devices")).toEqual(["/dev/sda"]);
    expect(await cfg("router1", "c: c.boot.loader.systemd-boot.enable")).toBe(true);
    // The four machines build (their stand-in toplevels).
    const names = ["router1", "router2", "server1", "server2"];
    const built = await run("nix", [
      "build",
      "--no-link",
      "--print-out-paths",
      "--no-write-lock-file",
      ...names.map((n) => `path:${cwd}#nixosConfigurations.${n}.config.system.build.toplevel`),
      ...overridesFor(await flakeInputNames(cwd)),
    ]);
    expect(built.code, built.stderr).toBe(0);
    const outs = built.stdout.trim().split("\n");
    expect(outs.map((o) => o.replace(/^\/nix\/store\/[^-]+-/, "")).sort()).toEqual(
      names.map((n) => `nixos-system-${n}-standin`),
    );
    const jobs = (await flakeValue(
      cwd,
      "nixverse",
      `nv: map (j: { inherit (j) node error; argv = builtins.concatLists (map (s: s.argv) j.steps); }) (nv.plan { action = "install"; names = [ "servers" "routers" ]; flakeDir = "${cwd}"; }).jobs`,
    )) as { node: string; error: string | null; argv: string[] }[];
    expect(jobs.map((j) => j.node).sort()).toEqual(["router1", "router2", "server1", "server2"]);
    for (const j of jobs) {
      expect(j.error, j.node).toBeNull();
      expect(j.argv.join(" "), j.node).toContain("nixos-anywhere");
    }
    expect(jobs.find((j) => j.node === "router2")!.argv).toContain("root@10.0.1.2");
  });
});

describe("README snippets outside the walk-through", () => {
  it("the nixverse.yaml example holds every documented key and is valid", () => {
    const yaml = blocks(section("## nixverse.yaml", "## Examples")).find((b) => b.lang === "yaml")!;
    const r = parseConfig(yaml.body);
    expect(r.ok).toBe(true);
    const table = section("## nixverse.yaml", "## Examples");
    for (const key of ["description", "stable", "systems", "deploy.parallel", "channels.<name>"]) {
      expect(table).toContain(`| \`${key}\` |`);
    }
    for (const key of [
      "description:",
      "stable:",
      "systems:",
      "deploy:",
      "parallel:",
      "channels:",
      "nixpkgs:",
      "nixos:",
      "darwin:",
      "home-manager:",
      "nix-darwin:",
      "sops-nix:",
      "disko:",
    ]) {
      expect(yaml.body).toContain(key);
    }
  });

  it("the hook section's error is what a broken configuration.nix gives, frame and all", async () => {
    const shown = blocks(section("## Pre-commit hook", "## The fleet picture")).find(
      (b) => b.lang === "",
    )!.body;
    const dir = tempDir();
    mkdirSync(path.join(dir, "nodes/server1"), { recursive: true });
    writeFileSync(
      path.join(dir, "nodes/server1/node.nix"),
      '{ os = "nixos"; channel = "unstable"; }\n',
    );
    writeFileSync(
      path.join(dir, "nodes/server1/configuration.nix"),
      "{\n  boot.loader.grub.enable = lib.mkDefault true;\n}\n",
    );
    const r = await runCli(["gen"], dir);
    // The README's last line is the hook's own; everything above it is gen's stderr.
    const lines = shown.trimEnd().split("\n");
    expect(lines.pop()).toMatch(/^nixverse-gen: commit blocked: /);
    expect(r.stderr.trimEnd()).toBe(lines.join("\n"));
  });

  it("the commands the README names exist, with the options it shows", async () => {
    for (const args of [
      ["init", "--help"],
      ["hook", "install", "--help"],
      ["hook", "uninstall", "--help"],
      ["show", "--help"],
    ]) {
      expect((await runCli(args, repoRoot)).code).toBe(0);
    }
    const show = (await runCli(["show", "--help"], repoRoot)).stdout;
    for (const o of ["--json", "--mermaid", "--dot"]) expect(show).toContain(o);
    const hooks = readFileSync(path.join(repoRoot, ".pre-commit-hooks.yaml"), "utf8");
    const config = blocks(section("## Pre-commit hook", "## The fleet picture")).find(
      (b) => b.lang === "yaml",
    )!.body;
    for (const id of [...config.matchAll(/id: (\S+)/g)].map((m) => m[1]!))
      expect(hooks).toContain(`- id: ${id}\n`);
  });
});
