// The README's install forms, run for real and offline: a tarball from `npm pack` into a fresh
// prefix, and `npm link` from the clone. The bundle (scripts/bundle.mjs) inlines every dependency,
// so the installed package needs nothing from the registry.
import { execa } from "execa";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/cli.js";
import { tempDir } from "../support/nix.js";

const bundled = existsSync(path.join(repoRoot, "dist/bundle/main.js"));
if (!bundled) console.log("SKIPPED: install tests need dist/bundle (npm run build)");

const npm = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot) =>
  execa("npm", [...args, "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd,
    env: { ...process.env, ...env },
    reject: false,
  });

/** The installed command works: --version, then a starter fleet that gen --check accepts. */
async function works(bin: string): Promise<void> {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    version: string;
  };
  const v = await execa(bin, ["--version"], { reject: false });
  expect(v.stdout, v.stderr).toBe(pkg.version);
  const dir = tempDir();
  const init = await execa(bin, ["init", dir], { reject: false });
  expect(init.exitCode, init.stderr).toBe(0);
  const check = await execa(bin, ["gen", "--check", "--flake", dir], { reject: false });
  expect(check.exitCode, check.stderr).toBe(0);
}

describe.skipIf(!bundled)("install forms of the README", () => {
  it("ships no runtime dependency: everything is in dist/bundle", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
      files: string[];
      type: string;
    };
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.type).toBe("module");
    expect(pkg.files).toContain("dist/bundle");
  });

  it("npm pack, then npm install -g of the tarball into a fresh prefix", async () => {
    const out = tempDir("nixverse-pack-");
    const pack = await npm(["pack", "--pack-destination", out]);
    expect(pack.exitCode, pack.stderr).toBe(0);
    const tarball = path.join(out, pack.stdout.trim().split("\n").at(-1)!);
    const prefix = path.join(out, "prefix");
    const inst = await npm(["install", "-g", "--prefix", prefix, tarball]);
    expect(inst.exitCode, inst.stderr).toBe(0);
    // A copy, not a link to this clone, without node_modules of its own.
    const installed = path.join(prefix, "lib/node_modules/nixverse-gen");
    expect(existsSync(path.join(installed, "dist/bundle/main.js"))).toBe(true);
    expect(existsSync(path.join(installed, "node_modules"))).toBe(false);
    await works(path.join(prefix, "bin/nixverse-gen"));
  });

  it("npm link from the clone puts nixverse-gen on PATH", async () => {
    const prefix = tempDir("nixverse-link-");
    const link = await npm(["link"], { npm_config_prefix: prefix });
    expect(link.exitCode, link.stderr).toBe(0);
    await works(path.join(prefix, "bin/nixverse-gen"));
  });

  it("npm run example shows the generated tree and the next command", async () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.example).toBe("npm run build && node examples/example.mjs");
    const r = await execa("node", ["examples/example.mjs"], { cwd: repoRoot, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("examples/quickstart/\n├── flake.nix\n└── nixverse/\n");
    expect(r.stdout).toContain("    ├── fleet.nix\n");
    expect(r.stdout).toMatch(/\nNext: nixverse-gen show --flake examples\/quickstart /);
  });
});
