// The everyday CLI surface: --help everywhere (with examples), --version, and colours only on a
// TTY without NO_COLOR (checked through a real pseudo-terminal from util-linux `script`).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { commands } from "../../generator/cli/commands/index.js";
import { makeTree, repoRoot, runCli, snapshot } from "../support/cli.js";
import { tempDir } from "../support/nix.js";

const bin = path.join(repoRoot, "bin/nixverse-gen.js");
const built = existsSync(path.join(repoRoot, "dist/bundle/main.js"));
const hasScript = existsSync("/usr/bin/script");

describe("help and version", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      version: string;
    };
    expect((await runCli(["--version"], repoRoot)).stdout).toBe(`${pkg.version}\n`);
  });

  it("every command has --help with usage and examples, the same as `help <command>`", async () => {
    const top = await runCli(["--help"], repoRoot);
    for (const name of ["gen", "init", "show", "hook"]) {
      expect(commands.map((c) => c.name)).toContain(name);
      expect(top.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
    }
    for (const c of commands) {
      const h = await runCli([c.name, "--help"], repoRoot);
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(new RegExp(`^Usage: nixverse-gen ${c.name}`));
      expect(h.stdout).toContain("Examples:");
      expect((await runCli(["help", c.name], repoRoot)).stdout).toBe(h.stdout);
    }
  });

  it("subcommands have their own help", async () => {
    for (const sub of ["install", "uninstall"]) {
      const h = await runCli(["hook", sub, "--help"], repoRoot);
      expect(h.stdout).toMatch(new RegExp(`^Usage: nixverse-gen hook ${sub} `));
      expect(h.stdout).toContain("Examples:");
      expect((await runCli(["help", "hook", sub], repoRoot)).stdout).toBe(h.stdout);
    }
    expect((await runCli(["hook", "--help"], repoRoot)).stdout).toMatch(
      /^Usage: nixverse-gen hook <install\|uninstall>/,
    );
  });

  it("usage mistakes exit 2 and point at --help", async () => {
    const r = await runCli(["hook", "instal"], repoRoot);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'nixverse-gen hook: unknown subcommand "instal" (did you mean "install"?) (see "nixverse-gen hook --help")\n',
    );
    expect((await runCli(["show", "--json", "--dot"], repoRoot)).code).toBe(2);
    expect((await runCli(["init", "a", "b"], repoRoot)).code).toBe(2);
  });
});

if (!built || !hasScript)
  console.log("SKIPPED: colour tests need dist/ (npm run build) and util-linux script");

describe.skipIf(!built || !hasScript)("colours", () => {
  const ESC = "\x1b[";
  async function inTty(args: string, env: Record<string, string> = {}) {
    const r = await execa("script", ["-qec", `node ${bin} ${args}`, "/dev/null"], {
      env: { ...process.env, NO_COLOR: undefined, TERM: "xterm", ...env },
      extendEnv: false,
      reject: false,
    });
    return r.stdout;
  }

  it("on a terminal, output is coloured", async () => {
    expect(await inTty(`init ${tempDir()}`)).toContain(ESC);
  });

  it("NO_COLOR, TERM=dumb and pipes get plain text", async () => {
    expect(await inTty(`init ${tempDir()}`, { NO_COLOR: "1" })).not.toContain(ESC);
    expect(await inTty(`init ${tempDir()}`, { TERM: "dumb" })).not.toContain(ESC);
    const piped = await execa("node", [bin, "init", tempDir()], {
      env: { ...process.env, NO_COLOR: undefined },
      extendEnv: false,
    });
    expect(piped.stdout).toContain("created a starter fleet");
    expect(piped.stdout).not.toContain(ESC);
  });
});

describe("what is not a fleet is refused, and nothing is written", () => {
  it("gen, gen --check and show in a directory without nodes/ (or with an empty one)", async () => {
    const trees: Record<string, string>[] = [
      {},
      { "nodes/.keep": "" },
      { "README.md": "x\n", "nodes/common/x": "" },
      // A file called nodes (this crashed with a raw ENOTDIR stack trace).
      { nodes: "not a directory\n" },
    ];
    for (const files of trees) {
      const dir = makeTree(files);
      const before = snapshot(dir);
      for (const args of [["gen"], ["gen", "--check"], ["show"], []]) {
        const r = await runCli(args, dir);
        expect(r.code, `${args.join(" ")} in ${Object.keys(files).join(",")}`).toBe(1);
        expect(r.stderr).toMatch(/error: .*(not a fleet|no fleet here)/);
        expect(r.stderr).toMatch(/nixverse-gen init|add nodes\/<name>\/node.nix/);
      }
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it("a file where the tree has a directory, or the other way round: one located error, no stack trace", async () => {
    const node = {
      "nodes/web/node.nix": '{ os = "nixos"; channel = "unstable"; }\n',
      "nodes/web/configuration.nix": "{ }\n",
    };
    const cases: [Record<string, string>, string, string][] = [
      [{ pkgs: "x\n" }, "pkgs", "a file where a directory belongs"],
      [{ modules: "x\n" }, "modules", "a file where a directory belongs"],
      [{ "private/nodes": "x\n" }, "private/nodes", "a file where a directory belongs"],
      [{ "inputs.nix/x": "" }, "inputs.nix", "a directory where a file belongs"],
      [{ "nixverse.yaml/x": "" }, "nixverse.yaml", "a directory where a file belongs"],
      [{ "flake.nix/x": "" }, "flake.nix", "a directory where a file belongs"],
    ];
    for (const [files, file, message] of cases) {
      const dir = makeTree({ ...node, ...files });
      const before = snapshot(dir);
      for (const args of [["gen"], ["gen", "--check"]]) {
        const r = await runCli(args, dir);
        expect(r.code, `${args.join(" ")} with ${file}`).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(`^${file}: error: ${message} \\(rename or remove`, "m"),
        );
        expect(r.stderr).not.toMatch(/^\s+at |node:internal|errno/m);
      }
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it("--flake and $FLAKE naming a missing directory say so, not a temp-dir name", async () => {
    const cwd = tempDir();
    const r = await runCli(["gen", "--flake", "/nonexistent/fleet"], cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: \/nonexistent\/fleet: no such directory \(/);
    expect(r.stderr).not.toMatch(/\.tmp|nixverse-gen-/);
    const e = await runCli(["show"], cwd, { FLAKE: "missing" });
    expect(e.stderr).toMatch(/^error: missing: no such directory/);
    expect(existsSync(path.join(cwd, "missing"))).toBe(false);
  });

  it("finds the fleet from a subdirectory", async () => {
    const dir = tempDir();
    expect((await runCli(["init"], dir)).code).toBe(0);
    const r = await runCli(["gen", "--check"], path.join(dir, "nodes/my-node"));
    expect(r.code, r.stderr).toBe(0);
  });
});

describe("gen's summary says what it did", () => {
  const meta = '{ os = "nixos"; channel = "unstable"; }\n';
  it("names the files it wrote, and lists only inputs that are new", async () => {
    const dir = makeTree({ "nodes/a/node.nix": meta, "nodes/a/configuration.nix": "{ }\n" });
    const first = await runCli(["gen"], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("added input nixpkgs-unstable (");
    expect(first.stdout).toMatch(
      /wrote flake\.nix, nixverse\/fleet\.nix, nixverse\/lib\/\S+ and \d+ more in /,
    );

    // A second node on the same channel: flake.nix and fleet.nix change, no input is new.
    makeTree({ "nodes/b/node.nix": meta, "nodes/b/configuration.nix": "{ }\n" }, dir);
    const second = await runCli(["gen"], dir);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).not.toContain("added input");
    expect(second.stdout).toBe(`nixverse-gen: wrote flake.nix and nixverse/fleet.nix in ${dir}\n`);

    // Only the fleet data changes (a file beside the node): the summary does not claim flake.nix.
    makeTree({ "nodes/b/hardware-configuration.nix": "{ }\n" }, dir);
    const third = await runCli(["gen"], dir);
    expect(third.stdout).toBe(`nixverse-gen: wrote nixverse/fleet.nix in ${dir}\n`);
  });
});

describe("help pages specific to each subcommand", () => {
  it("node deploy, node build, node install and secrets edit each have their own page", async () => {
    const pages: Record<string, string> = {};
    for (const args of [
      ["node", "deploy"],
      ["node", "build"],
      ["node", "install"],
      ["secrets", "edit"],
      ["secrets", "rekey"],
    ]) {
      const r = await runCli([...args, "--help"], repoRoot);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: nixverse-gen ${args.join(" ")} `));
      expect(r.stdout).toContain("Examples:");
      expect((await runCli(["help", ...args], repoRoot)).stdout).toBe(r.stdout);
      pages[args.join(" ")] = r.stdout;
    }
    expect(pages["node deploy"]).toContain("--dry-run");
    expect(pages["node build"]).not.toContain("--dry-run");
    expect(pages["secrets edit"]).toContain("--resume FILE");
    expect(pages["secrets edit"]).not.toContain("--in-place");
    // Every --flake line says the same thing about where the fleet is found.
    const lines = Object.values(pages).flatMap((p) =>
      p.split("\n").filter((l) => /^\s+--flake DIR /.test(l)),
    );
    expect([...new Set(lines.map((l) => l.replace(/^\s*--flake DIR\s+/, "")))]).toEqual([
      "the fleet's directory (default: $FLAKE, else the nearest parent with nodes/)",
    ]);
  });

  it("node deploy/build/install --help list exactly the options the runner's own --help lists", async () => {
    // The options at the start of each line of an Options section: `-p, --parallel N`,
    // `--boot, --dry-activate`, not the nix flags quoted in the descriptions.
    const options = (page: string) => {
      const out = new Set<string>();
      for (const l of page.split("\n")) {
        const m = /^\s+((?:-\w, )?--[a-z-]+(?: [A-Z]+)?(?:, --[a-z-]+)*)(?:\s{2,}|$)/.exec(l);
        for (const o of m?.[1]!.match(/--[a-z-]+/g) ?? []) out.add(o);
      }
      out.delete("--flake"); // ours: the runner is already in the fleet
      return [...out].sort();
    };
    const runner = path.join(repoRoot, "examples/fleet/nixverse/run.sh");
    for (const sub of ["deploy", "build", "install"]) {
      const ours = await runCli(["node", sub, "--help"], repoRoot);
      const theirs = await execa("bash", [runner, "node", sub, "--help"], { reject: false });
      expect(theirs.exitCode, theirs.stderr).toBe(0);
      expect(options(ours.stdout), sub).toEqual(options(theirs.stdout));
      expect(options(ours.stdout)).toContain("--json");
    }
    const deploy = options((await runCli(["node", "deploy", "--help"], repoRoot)).stdout);
    expect(deploy).toEqual(expect.arrayContaining(["--goal", "--skip-unreachable", "--failed"]));
  });
});
