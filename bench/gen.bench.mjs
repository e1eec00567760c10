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

export async function run({ sizes = [10, 100, 1000], repeat = 5 } = {}) {
  const rows = [];
  for (const n of sizes) {
    const root = mkdtempSync(path.join(os.tmpdir(), `nixverse-bench-${n}-`));
    try {
      writeSyntheticFleet(root, n);
      const fresh = [];
      for (let i = 0; i < repeat; i++) {
        rmSync(path.join(root, "flake.nix"), { force: true });
        rmSync(path.join(root, "nixverse"), { recursive: true, force: true });
        fresh.push(await time(["gen", "-q", "--flake", root]));
      }
      const unchanged = [];
      const check = [];
      for (let i = 0; i < repeat; i++) unchanged.push(await time(["gen", "-q", "--flake", root]));
      for (let i = 0; i < repeat; i++) check.push(await time(["gen", "--check", "-q", "--flake", root]));
      rows.push({ bench: "gen (fresh tree)", size: `${n} nodes`, value: median(fresh), unit: "ms" });
      rows.push({ bench: "gen (unchanged)", size: `${n} nodes`, value: median(unchanged), unit: "ms" });
      rows.push({ bench: "gen --check", size: `${n} nodes`, value: median(check), unit: "ms" });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return rows;
}
