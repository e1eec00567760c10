// What a pre-commit hook pays: `gen --check` on an up-to-date 10-node fleet against a bare
// `node -e 0` (target ≤ 1.5×). Wall times interleaved, medians; with /usr/bin/time also CPU time
// (user + sys), which a loaded machine distorts less.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { writeSyntheticFleet } from "./synthetic.mjs";

const cli = fileURLToPath(new URL("../bin/nixverse-gen.js", import.meta.url));
const gnuTime = existsSync("/usr/bin/time") ? "/usr/bin/time" : null;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function once(args) {
  const t = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync(gnuTime, ["-f", "%U %S", process.execPath, ...args], { encoding: "utf8" })
    : spawnSync(process.execPath, args, { encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} failed:\n${r.stderr}`);
  const cpu = gnuTime
    ? r.stderr
        .trim()
        .split("\n")
        .at(-1)
        .split(" ")
        .reduce((a, s) => a + Number(s) * 1000, 0)
    : NaN;
  return { wall, cpu };
}

export async function run({ repeat = 11 } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), "nixverse-bench-startup-"));
  try {
    writeSyntheticFleet(root, 10, { groups: 1 });
    once([cli, "gen", "-q", "--flake", root]);
    const bare = [];
    const check = [];
    for (let i = 0; i < repeat; i++) {
      bare.push(once(["-e", "0"]));
      check.push(once([cli, "gen", "--check", "-q", "--flake", root]));
    }
    const w0 = median(bare.map((r) => r.wall));
    const w1 = median(check.map((r) => r.wall));
    const c0 = median(bare.map((r) => r.cpu));
    const c1 = median(check.map((r) => r.cpu));
    const ratio = w1 / w0;
    const rows = [
      { bench: "node -e 0", size: "—", value: w0, unit: "ms" },
      { bench: "gen --check (up to date)", size: "10 nodes, 1 group", value: w1, unit: "ms" },
      {
        bench: "target: gen --check / node -e 0 (wall)",
        size: "ratio",
        value: ratio,
        unit: "×",
        note: `${ratio.toFixed(2)}, ≤ 1.5: ${ratio <= 1.5 ? "met" : "MISSED"}`,
      },
    ];
    if (gnuTime)
      rows.push({
        bench: "gen --check / node -e 0 (cpu: user+sys)",
        size: "ratio",
        value: c1 / c0,
        unit: "×",
        note: `${c1.toFixed(0)} ms / ${c0.toFixed(0)} ms`,
      });
    return rows;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
