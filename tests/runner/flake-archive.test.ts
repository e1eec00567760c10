// The runner reads the flake's own store path from `nix flake archive --json` (the remote
// darwin deploy runs darwin-rebuild on it). Checked against the real output of the Nix on PATH:
// current Nix sorts keys, so the inputs' paths come first.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { nixEnv, nixVersion } from "../support/nix.js";
import { repoRoot, tmpDir } from "./support.js";

const steps = path.join(repoRoot, "runtime-sh", "runner", "steps.sh");

function archivePath(json: string): { out: string; status: number | null } {
  const r = spawnSync("bash", ["-c", `source '${steps}'; flake_archive_path "$1"`, "_", json], {
    encoding: "utf8",
  });
  return { out: r.stdout, status: r.status };
}

function nix(args: string[]): string {
  const r = spawnSync("nix", args, { encoding: "utf8", env: nixEnv() });
  if (r.status !== 0) throw new Error(`nix ${args.join(" ")}:\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(nixVersion() === null)("flake_archive_path", () => {
  it("finds the flake's own path in real `nix flake archive --json`, not an input's", () => {
    const dir = tmpDir("nixverse-archive-");
    // Inputs named before and after "path", one of them with an input of its own.
    for (const [name, body] of [
      ["dep", "{ outputs = _: { }; }"],
      ["zdep", `{ inputs.inner.url = "path:${dir}/dep"; outputs = _: { }; }`],
    ] as const) {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, "flake.nix"), body);
    }
    mkdirSync(path.join(dir, "fleet"));
    writeFileSync(
      path.join(dir, "fleet", "flake.nix"),
      `{ inputs.disko.url = "path:${dir}/dep"; inputs.zdep.url = "path:${dir}/zdep"; outputs = _: { }; }`,
    );
    const ref = `path:${dir}/fleet`;
    // Locked first: writing flake.lock changes the flake's own store path.
    nix(["flake", "lock", ref]);
    const json = nix(["flake", "archive", "--json", "--dry-run", ref]);
    const own = nix([
      "eval",
      "--impure",
      "--raw",
      "--expr",
      `(builtins.getFlake "${ref}").outPath`,
    ]);
    const disko = nix([
      "eval",
      "--impure",
      "--raw",
      "--expr",
      `(builtins.getFlake "${ref}").inputs.disko.outPath`,
    ]);
    expect(own).toMatch(/^\/nix\/store\//);
    expect(disko).not.toBe(own);
    expect(archivePath(json)).toEqual({ out: own, status: 0 });
  });

  it("reads either key order, and fails on output without a path", () => {
    const a = "/nix/store/0000000000000000000000000000000a-source";
    const b = "/nix/store/0000000000000000000000000000000b-source";
    expect(archivePath(`{"path":"${a}","inputs":{"x":{"path":"${b}","inputs":{}}}}`).out).toBe(a);
    expect(archivePath(`{"inputs":{"x":{"inputs":{},"path":"${b}"}},"path":"${a}"}`).out).toBe(a);
    expect(archivePath(`{"inputs":{"x":{"inputs":{},"path":"${b}"}}}`)).toEqual({
      out: "",
      status: 1,
    });
  });
});
