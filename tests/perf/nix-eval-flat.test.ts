// Evaluation cost is flat in fleet size (issue #7), checked with Nix's own work counters
// (NIX_SHOW_STATS values: deterministic for a tree, unlike timings, which stay in bench/). The
// synthetic fleets and the measuring come from bench/, so the test and the benchmark agree.
// Tier B: needs $NIX_INPUTS_DIR (pinned nixpkgs.lib, nixverse, flake-parts) and the built CLI.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  NIXVERSE_FLAKE,
  flakeInputNames,
  generatedOverrides,
  missing,
  nixEvalStats,
  nixverseOverrides,
  prepareStandins,
  type Standins,
} from "../../bench/nix-stats.mjs";
import { writeSyntheticFleet } from "../../bench/synthetic.mjs";

const repo = path.resolve(import.meta.dirname, "../..");
const cli = path.join(repo, "bin", "nixverse-gen.js");
const why =
  missing(process.env.NIX_INPUTS_DIR) ??
  (existsSync(path.join(repo, "dist", "cli", "main.js"))
    ? null
    : "the CLI is not built (npm run build)");
if (why) console.log(`SKIPPED: evaluation cost tests (tier B): ${why}`);

const HOST = "nixosConfigurations.node1.config.networking.hostName";

describe.skipIf(why !== null)("evaluation cost is flat in fleet size (Nix value counts)", () => {
  let base: string;
  let s: Standins;
  const ours = (n: number, systems = false) => {
    const dir = path.join(base, `ours-${n}-${systems}`);
    writeSyntheticFleet(dir, n, { systems });
    execFileSync("node", [cli, "gen", "-q", "--flake", dir]);
    return { dir, overrides: generatedOverrides(flakeInputNames(dir), s) };
  };
  const values = (f: { dir: string; overrides: string[] }, attr: string, apply?: string) => {
    const r = nixEvalStats(f.dir, attr, { overrides: f.overrides, ...(apply ? { apply } : {}) });
    return { values: r.values, result: r.result };
  };
  let small: ReturnType<typeof ours>;
  let big: ReturnType<typeof ours>;

  beforeAll(() => {
    base = mkdtempSync(path.join(os.tmpdir(), "nixverse-perf-"));
    s = prepareStandins(process.env.NIX_INPUTS_DIR!);
    small = ours(10);
    big = ours(100);
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
    s?.cleanup();
  });

  // Per extra node: the flake's nixosConfigurations entry and its name (2 values). Forcing any
  // node's data or meta while listing would cost tens to thousands of values per node.
  it("listing nixosConfigurations costs at most 4 values per extra node", () => {
    const a = values(small, "nixosConfigurations", "builtins.attrNames");
    const b = values(big, "nixosConfigurations", "builtins.attrNames");
    expect((a.result as string[]).length).toBe(10);
    expect((b.result as string[]).length).toBe(100);
    expect((b.values - a.values) / 90).toBeLessThanOrEqual(4);
  });

  // One node's configuration reads only that node's data and meta; what grows with the fleet is
  // the lazy name → node tables (8 values per node today). Nixverse b1b80d5 adds ~1,800 per node.
  it("one node's networking.hostName costs at most 12 values per extra node", () => {
    const a = values(small, HOST);
    const b = values(big, HOST);
    expect(a.result).toBe("node1");
    expect(b.result).toBe("node1");
    expect((b.values - a.values) / 90).toBeLessThanOrEqual(12);
  });

  it("at 100 nodes, Nixverse b1b80d5 allocates at least 3× our values for one node's hostName, same tree", () => {
    const mine = ours(100, true);
    const theirs = path.join(base, "nixverse-100");
    writeSyntheticFleet(theirs, 100, { systems: true });
    writeFileSync(path.join(theirs, "flake.nix"), NIXVERSE_FLAKE);
    const o = values(mine, HOST);
    const t = values({ dir: theirs, overrides: nixverseOverrides(s) }, HOST);
    expect(o.result).toBe("node1");
    expect(t.result).toBe("node1");
    expect(t.values / o.values).toBeGreaterThanOrEqual(3);
  });
});
