// Golden tests per example: the committed flake.nix and nixverse/ are what gen produces from the
// committed tree; a re-run changes no byte; Nix parses every generated file; and Nix lists the
// expected configurations with every input replaced by a fixture whose builders throw.
import { execa } from "execa";
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, runCli, snapshot } from "../support/cli.js";
import {
  copyTree,
  flakeInputNames,
  overrideArgs,
  writeFixtureInputs,
} from "../support/flake-fixtures.js";
import { nixEnv, nixParseError } from "../support/nix.js";

const examples = {
  quickstart: { nixos: ["my-node"], darwin: [] },
  cluster: { nixos: ["db", "server1", "server2"], darwin: ["mac"] },
  fleet: { nixos: ["router1", "router2", "web1", "web2"], darwin: [] },
} as const;

const generated = (files: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(files).filter(([f]) => f === "flake.nix" || f.startsWith("nixverse/")),
  );

function nixFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".nix") && statSync(path.join(dir, f)).isFile())
    .map((f) => path.join(dir, f));
}

describe.each(Object.entries(examples))("examples/%s", (name, expected) => {
  const committed = path.join(repoRoot, "examples", name);

  it("regenerates the committed flake.nix and nixverse/ byte for byte", async () => {
    const work = copyTree(committed);
    rmSync(path.join(work, "flake.nix"), { force: true });
    rmSync(path.join(work, "nixverse"), { recursive: true, force: true });
    const r = await runCli(["gen", "--flake", work], work);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(generated(snapshot(work))).toEqual(generated(snapshot(committed)));
  });

  it("is up to date (gen --check) and a second gen writes nothing", async () => {
    const check = await runCli(["gen", "--check", "--flake", committed], committed);
    expect(check.stdout + check.stderr).toContain("up to date");
    expect(check.code).toBe(0);
    const work = copyTree(committed);
    const before = snapshot(work);
    const again = await runCli(["gen", "--flake", work], work);
    expect(again.stdout).toContain("up to date");
    expect(snapshot(work)).toEqual(before);
  });

  it("has only generated .nix files that nix-instantiate --parse accepts", async () => {
    const files = nixFiles(committed);
    expect(files.some((f) => f.endsWith("nixverse/fleet.nix"))).toBe(true);
    for (const f of files) expect(await nixParseError(f), f).toBeNull();
  });

  it("lists exactly its nodes with Nix, evaluating none of them", async () => {
    const work = copyTree(committed);
    const fx = writeFixtureInputs();
    const overrides = overrideArgs(await flakeInputNames(work), fx);
    for (const os of ["nixos", "darwin"] as const) {
      const r = await execa(
        "nix",
        [
          "eval",
          "--json",
          `path:${work}#${os}Configurations`,
          "--apply",
          "builtins.attrNames",
          ...overrides,
        ],
        { env: nixEnv(), reject: false },
      );
      expect(r.stderr).not.toMatch(/error/);
      expect(r.exitCode).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expected[os]);
    }
  });

  it("nix flake show: the runner apps have a description, and Nix warns about none", async () => {
    const work = copyTree(committed);
    const fx = writeFixtureInputs();
    const overrides = overrideArgs(await flakeInputNames(work), fx);
    const r = await execa(
      "nix",
      ["flake", "show", "--json", "--no-write-lock-file", `path:${work}`, ...overrides],
      { env: nixEnv(), reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/lacks attribute 'meta'|error/);
    const apps = (JSON.parse(r.stdout) as { apps: Record<string, Record<string, unknown>> }).apps;
    expect(apps["x86_64-linux"]!.default).toMatchObject({
      type: "app",
      description: expect.stringMatching(/node --help/),
    });
  });
});
