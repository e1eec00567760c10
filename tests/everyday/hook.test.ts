// `nixverse-gen hook install`: driven through real `git commit`s in a temp repository.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { installHook } from "../../generator/hook/install.js";
import { repoRoot, runCli } from "../support/cli.js";
import { tempDir } from "../support/nix.js";

// The hook runs the package's bin, which runs dist/ (`npm run build`, as `npm test` does first).
const built = existsSync(path.join(repoRoot, "dist/bundle/main.js"));
if (!built)
  console.log("SKIPPED: dist/ missing: run `npm run build` (the hook runs bin/nixverse-gen.js)");

const gitEnv = {
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.org",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.org",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  NIXVERSE_GEN: "",
  FLAKE: "",
};

const git = (cwd: string, args: string[]) =>
  execa("git", args, { cwd, env: gitEnv, reject: false });

/** A git repository holding a generated starter fleet, committed. */
async function repo(): Promise<string> {
  const dir = tempDir("nixverse-hook-");
  await git(dir, ["init", "-q", "-b", "main"]);
  const r = await runCli(["init"], dir);
  if (r.code !== 0) throw new Error(r.stderr);
  await git(dir, ["add", "-A"]);
  const c = await git(dir, ["commit", "-q", "-m", "start"]);
  if (c.exitCode !== 0) throw new Error(c.stderr);
  return dir;
}

const hookFile = (dir: string) => path.join(dir, ".git/hooks/pre-commit");
const head = async (dir: string) => (await git(dir, ["rev-parse", "HEAD"])).stdout;

describe.skipIf(!built)("hook install", () => {
  it("regenerates and stages the flake on a real commit", async () => {
    const dir = await repo();
    const r = await runCli(["hook", "install"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("installed the pre-commit hook");
    expect(statSync(hookFile(dir)).mode & 0o111).not.toBe(0);

    // A new node, committed without running the generator: the hook must add it to the flake.
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{ os = "nixos"; channel = "stable"; }\n',
    );
    await git(dir, ["add", "nodes"]);
    const c = await git(dir, ["commit", "-q", "-m", "stable"]);
    expect(c.stderr).not.toContain("error");
    expect(c.exitCode).toBe(0);
    const files = (await git(dir, ["show", "--name-only", "--format=", "HEAD"])).stdout
      .split("\n")
      .sort();
    expect(files).toContain("flake.nix");
    expect(files).toContain("nixverse/fleet.nix");
    expect(files).toContain("nodes/my-node/node.nix");
    expect((await git(dir, ["show", "HEAD:flake.nix"])).stdout).toContain("nixpkgs-stable-nixos");
    expect((await git(dir, ["status", "--porcelain"])).stdout).toBe("");
  });

  it("blocks a commit with a broken node.nix, printing file:line:col", async () => {
    const dir = await repo();
    await runCli(["hook", "install"], dir);
    const before = await head(dir);
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{\n  os = "nixos"\n  channel = "unstable";\n}\n',
    );
    await git(dir, ["add", "nodes"]);
    const c = await git(dir, ["commit", "-q", "-m", "broken"]);
    expect(c.exitCode).not.toBe(0);
    // Where Nix itself puts it (nix-instantiate --parse: 3:11, the unexpected "=").
    expect(c.stderr).toMatch(/^nodes\/my-node\/node\.nix:3:11: error: syntax error/m);
    expect(c.stderr).toContain("commit blocked");
    expect(await head(dir)).toBe(before);
  });

  it("blocks a commit with a broken configuration.nix, with Nix's code frame", async () => {
    const dir = await repo();
    await runCli(["hook", "install"], dir);
    const before = await head(dir);
    writeFileSync(
      path.join(dir, "nodes/my-node/configuration.nix"),
      "{\n  boot.loader.grub.enable = lib.mkDefault true;\n}\n",
    );
    await git(dir, ["add", "nodes"]);
    const c = await git(dir, ["commit", "-q", "-m", "broken"]);
    expect(c.exitCode).not.toBe(0);
    expect(c.stderr).toContain(
      "nodes/my-node/configuration.nix:2:29: error: undefined variable 'lib' (add { lib, ... }:",
    );
    expect(c.stderr).toContain("  2|   boot.loader.grub.enable = lib.mkDefault true;\n   |");
    expect(c.stderr).toContain("commit blocked");
    expect(await head(dir)).toBe(before);
  });

  it("chains an existing hook (run first, can block), is idempotent, and uninstall restores it", async () => {
    const dir = await repo();
    const mine =
      '#!/bin/sh\necho "$0" >> "$(git rev-parse --git-dir)/mine.log"\n[ ! -e "$(git rev-parse --show-toplevel)/BLOCK" ]\n';
    writeFileSync(hookFile(dir), mine);
    chmodSync(hookFile(dir), 0o755);

    const first = await runCli(["hook", "install"], dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("the previous hook now runs first");
    const installed = readFileSync(hookFile(dir), "utf8");
    const again = await runCli(["hook", "install"], dir);
    expect(again.stdout).toContain("already installed");
    expect(readFileSync(hookFile(dir), "utf8")).toBe(installed);
    expect(readFileSync(path.join(dir, ".git/hooks/pre-commit.nixverse-chained"), "utf8")).toBe(
      mine,
    );

    writeFileSync(path.join(dir, "notes.txt"), "x\n");
    await git(dir, ["add", "notes.txt"]);
    expect((await git(dir, ["commit", "-q", "-m", "notes"])).exitCode).toBe(0);
    expect(readFileSync(path.join(dir, ".git/mine.log"), "utf8")).toContain(
      "pre-commit.nixverse-chained",
    );

    // The chained hook still has its say.
    writeFileSync(path.join(dir, "BLOCK"), "");
    await git(dir, ["add", "BLOCK"]);
    const before = await head(dir);
    expect((await git(dir, ["commit", "-q", "-m", "blocked"])).exitCode).not.toBe(0);
    expect(await head(dir)).toBe(before);

    const un = await runCli(["hook", "uninstall"], dir);
    expect(un.stdout).toContain("restored the one it chained");
    expect(readFileSync(hookFile(dir), "utf8")).toBe(mine);
    expect(existsSync(path.join(dir, ".git/hooks/pre-commit.nixverse-chained"))).toBe(false);
  });

  it("follows core.hooksPath and works from a flake in a subdirectory", async () => {
    const top = tempDir("nixverse-hook-");
    await git(top, ["init", "-q", "-b", "main"]);
    await git(top, ["config", "core.hooksPath", ".githooks"]);
    // Quotes, spaces and $ in the path must reach the hook's `cd` intact.
    const dir = path.join(top, "infra/my fleet's $HOME");
    expect((await runCli(["init", dir], top)).code).toBe(0);
    expect((await runCli(["hook", "install", "--flake", dir], top)).code).toBe(0);
    expect(existsSync(path.join(top, ".githooks/pre-commit"))).toBe(true);
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{ os = "nixos"; channel = "stable"; }\n',
    );
    await git(top, ["add", "-A"]);
    expect((await git(top, ["commit", "-q", "-m", "x"])).exitCode).toBe(0);
    expect((await git(top, ["show", "HEAD:infra/my fleet's $HOME/flake.nix"])).stdout).toContain(
      "nixpkgs-stable-nixos",
    );
  });

  it("still runs when the node that installed it is gone, and honours $NIXVERSE_GEN", async () => {
    const dir = await repo();
    const bin = path.join(repoRoot, "bin/nixverse-gen.js");
    const r = await installHook(dir, { node: "/nonexistent/bin/node", bin });
    expect(r.ok).toBe(true);
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{ os = "nixos"; channel = "stable"; }\n',
    );
    await git(dir, ["add", "nodes"]);
    // PATH's node takes over (the test runner's own node is on PATH).
    const c = await execa("git", ["commit", "-q", "-m", "x"], {
      cwd: dir,
      env: { ...gitEnv, PATH: `${path.dirname(process.execPath)}:${process.env.PATH}` },
      reject: false,
    });
    expect(c.exitCode, c.stderr).toBe(0);
    expect((await git(dir, ["show", "HEAD:flake.nix"])).stdout).toContain("nixpkgs-stable-nixos");

    writeFileSync(path.join(dir, "notes.txt"), "x\n");
    await git(dir, ["add", "notes.txt"]);
    const blocked = await execa("git", ["commit", "-q", "-m", "y"], {
      cwd: dir,
      env: { ...gitEnv, NIXVERSE_GEN: "false" },
      reject: false,
    });
    expect(blocked.exitCode).not.toBe(0);
    expect(blocked.stderr).toContain("commit blocked");
  });

  it("when the nixverse-gen it ran is gone and none is installed, says how to install one (not npm's 404)", async () => {
    const dir = await repo();
    const r = await installHook(dir, {
      node: process.execPath,
      bin: "/nonexistent/nixverse-gen.js",
    });
    expect(r.ok).toBe(true);
    writeFileSync(path.join(dir, "notes.txt"), "x\n");
    await git(dir, ["add", "notes.txt"]);
    // A PATH with git, sh and node's npx but no nixverse-gen anywhere.
    const c = await execa("git", ["commit", "-q", "-m", "x"], {
      cwd: dir,
      env: { ...gitEnv, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` },
      reject: false,
    });
    expect(c.exitCode).not.toBe(0);
    expect(c.stderr).toContain(
      "nixverse-gen: the nixverse-gen this hook ran (/nonexistent/nixverse-gen.js) is gone and none is installed: install it from a clone of its repository with `npm ci && npm link` (it is not in the npm registry yet), or set NIXVERSE_GEN",
    );
    expect(c.stderr).not.toMatch(/npm (ERR|error)|404/);
    expect(c.stderr).toContain("commit blocked");
  });

  it("says what to do outside git", async () => {
    const dir = tempDir();
    expect((await runCli(["init"], dir)).code).toBe(0);
    const r = await runCli(["hook", "install"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not inside a git work tree (run `git init` first)");
  });

  it("refuses a directory that is not a fleet, and says which fleet the hook regenerates", async () => {
    // A fleet in a subdirectory, hooked; then `hook install` again from the repository's top.
    const top = tempDir("nixverse-hook-");
    await git(top, ["init", "-q", "-b", "main"]);
    const fleet = path.join(top, "infra");
    expect((await runCli(["init", "infra"], top)).code).toBe(0);
    const first = await runCli(["hook", "install"], fleet);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("it regenerates the fleet in infra/");
    const before = readFileSync(hookFile(top), "utf8");

    const fromTop = await runCli(["hook", "install"], top);
    expect(fromTop.code).toBe(1);
    expect(fromTop.stderr).toMatch(/no fleet here: neither .* nor a parent directory has nodes\//);
    expect(readFileSync(hookFile(top), "utf8")).toBe(before);
    expect((await runCli(["hook", "install", "--flake", top], top)).stderr).toContain(
      "is not a fleet: it has no nodes/ directory",
    );

    // Re-targeting to another real fleet is allowed, and said: old → new.
    expect((await runCli(["init", "other"], top)).code).toBe(0);
    const moved = await runCli(["hook", "install", "--flake", "other"], top);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("it now regenerates other/ (before: infra/)");
    expect((await runCli(["hook", "install"], fleet)).stdout).toContain(
      "it now regenerates infra/ (before: other/)",
    );
  });
});

describe(".pre-commit-hooks.yaml (for the pre-commit framework)", () => {
  it("declares hooks whose entries are this package's bin with arguments the CLI accepts", async () => {
    const { parse } = await import("yaml");
    const hooks = parse(readFileSync(path.join(repoRoot, ".pre-commit-hooks.yaml"), "utf8")) as {
      id: string;
      entry: string;
      language: string;
      pass_filenames: boolean;
    }[];
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    expect(hooks.map((h) => h.id)).toEqual(["nixverse-gen", "nixverse-gen-check"]);
    const dir = await repo();
    for (const h of hooks) {
      expect(h.language).toBe("node");
      expect(h.pass_filenames).toBe(false);
      const [cmd, ...args] = h.entry.split(" ");
      expect(Object.keys(pkg.bin)).toContain(cmd);
      const r = await runCli(args, dir);
      expect(r.code, `${h.entry}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe(""); // quiet: the framework shows output only on failure
    }
    // And the check hook fails on a stale flake, as pre-commit needs.
    writeFileSync(
      path.join(dir, "nodes/my-node/node.nix"),
      '{ os = "nixos"; channel = "stable"; }\n',
    );
    const check = hooks.find((h) => h.id === "nixverse-gen-check")!;
    expect((await runCli(check.entry.split(" ").slice(1), dir)).code).toBe(1);
  });
});
