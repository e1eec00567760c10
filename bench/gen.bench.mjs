// gen and gen --check wall time (the CLI as users run it) on synthetic fleets.
import { execa } from "execa";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticFleet } from "./synthetic.mjs";

const cli = fileURLToPath(new URL("../bin/nixverse-gen.js", import.meta.url));

async function time(args) {
  const t = process.hrtime.bigint();
  const r = await execa("node", [cli, ...args], { reject: false });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.exitCode !== 0) throw new Error(`nixverse-gen ${args.join(" ")} failed:\n${r.stderr}`);
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// [nodes, groups]: N/10 groups of 10 nested under super-groups, plus 1,000 nodes in 10 groups.
const FLEETS = [
  [10, 1],
  [100, 10],
  [1000, 100],
  [1000, 10],
];

export async function run({ fleets = FLEETS, repeat = 5 } = {}) {
  const rows = [];
  const freshBy = {};
  for (const [n, groups] of fleets) {
    const root = mkdtempSync(path.join(os.tmpdir(), `nixverse-bench-${n}-`));
    const size = `${n} nodes, ${groups} groups`;
    try {
      writeSyntheticFleet(root, n, { groups });
      const fresh = [];
      for (let i = 0; i < repeat; i++) {
        rmSync(path.join(root, "flake.nix"), { force: true });
        rmSync(path.join(root, "nixverse"), { recursive: true, force: true });
        fresh.push(await time(["gen", "-q", "--flake", root]));
      }
      const unchanged = [];
      const check = [];
      for (let i = 0; i < repeat; i++) unchanged.push(await time(["gen", "-q", "--flake", root]));
      for (let i = 0; i < repeat; i++)
        check.push(await time(["gen", "--check", "-q", "--flake", root]));
      freshBy[`${n}/${groups}`] = median(fresh);
      rows.push({ bench: "gen (fresh tree)", size, value: median(fresh), unit: "ms" });
      rows.push({ bench: "gen (unchanged)", size, value: median(unchanged), unit: "ms" });
      rows.push({ bench: "gen --check", size, value: median(check), unit: "ms" });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  const small = freshBy["10/1"];
  const big = freshBy["1000/100"];
  if (small && big) {
    const r = big / small;
    rows.push({
      bench: "target: gen time 1,000 nodes / 10 nodes",
      size: "ratio",
      value: r,
      unit: "×",
      note: `${r.toFixed(2)}, ≤ 20: ${r <= 20 ? "met" : "MISSED"} (wall times: machine shared, noisy)`,
    });
  }
  return rows;
}
