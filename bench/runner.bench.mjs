// The generated runner's scheduling overhead: 50 stand-in nodes whose nixos-rebuild only sleeps
// 1 s, at most 10 at a time. Ideal: 5 waves × 1 s = 5.0 s; the budget is 5.25 s (5 % over).
// The plan comes from runtime-nix/plan.nix (evaluated once, outside the timing) and is handed to
// the runner with NIXVERSE_PLAN_FILE, so the number is the runner's alone.
// Run alone: node bench/runner.bench.mjs   (or via bench/run.mjs: `node bench/run.mjs runner`)
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../", import.meta.url));
// The generator's own renderer (npm run bench builds dist/ first).
const { runnerFiles } = await import(new URL("../dist/render/generated.js", import.meta.url).href);
const NODES = 50;
const PARALLEL = 10;
const SLEEP = 1;

function setup(root) {
  const names = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);
  const data = {
    nodes: Object.fromEntries(
      names.map((n) => [
        n,
        { dir: `nodes/${n}`, os: "nixos", channel: "unstable", groups: ["all"], diskConfig: [] },
      ]),
    ),
    groups: { all: { dir: "nodes/all", nodes: names, descendants: names } },
  };
  const meta = Object.fromEntries(
    names.map((n) => [n, { os: "nixos", deploy: { targetHost: `root@${n}` } }]),
  );
  const fleet = path.join(root, "fleet");
  mkdirSync(fleet);
  writeFileSync(path.join(fleet, "flake.nix"), "{ outputs = _: { }; }\n");
  writeFileSync(path.join(root, "data.json"), JSON.stringify(data));
  writeFileSync(path.join(root, "meta.json"), JSON.stringify(meta));
  writeFileSync(
    path.join(root, "req.json"),
    JSON.stringify({ action: "deploy", names: ["all"], flakeDir: fleet }),
  );
  const expr = `(import ${repo}runtime-nix/plan.nix {
    data = builtins.fromJSON (builtins.readFile ${root}/data.json);
    meta = builtins.fromJSON (builtins.readFile ${root}/meta.json);
  } (builtins.fromJSON (builtins.readFile ${root}/req.json))).shell`;
  const plan = execFileSync("nix", ["eval", "--impure", "--raw", "--expr", expr], {
    encoding: "utf8",
    env: { ...process.env, NIX_CONFIG: "experimental-features = nix-command flakes" },
  });
  writeFileSync(path.join(root, "plan.sh"), plan);
  for (const [rel, f] of runnerFiles()) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), f.content);
  }
  chmodSync(path.join(root, "run.sh"), 0o755);
  mkdirSync(path.join(root, "bin"));
  writeFileSync(
    path.join(root, "bin/nixos-rebuild"),
    `#!/bin/sh\necho "switching $3"\nexec sleep ${SLEEP}\n`,
  );
  chmodSync(path.join(root, "bin/nixos-rebuild"), 0o755);
  return fleet;
}

function once(root, fleet) {
  const t = process.hrtime.bigint();
  const r = spawnSync(
    "bash",
    [path.join(root, "run.sh"), "node", "deploy", "-p", String(PARALLEL), "all"],
    {
      cwd: fleet,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${root}/bin:${process.env.PATH}`,
        FLAKE: fleet,
        NIXVERSE_PLAN_FILE: path.join(root, "plan.sh"),
      },
    },
  );
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0 || !r.stdout.includes(`all ${NODES} node(s) succeeded`))
    throw new Error(`runner failed:\n${r.stdout}\n${r.stderr}`);
  return s;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run({ repeat = 3 } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), "nixverse-bench-runner-"));
  try {
    const fleet = setup(root);
    const walls = [];
    for (let i = 0; i < repeat; i++) walls.push(once(root, fleet));
    const ideal = Math.ceil(NODES / PARALLEL) * SLEEP;
    return [
      {
        bench: "runner deploy (stand-ins, sleep 1)",
        size: `${NODES} nodes, -p ${PARALLEL}`,
        value: median(walls),
        unit: "s",
        note: `ideal ${ideal.toFixed(2)} s, budget ${(ideal * 1.05).toFixed(2)} s; runs: ${walls.map((w) => w.toFixed(3)).join(", ")}`,
      },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await run())
    console.log(`${r.bench}  ${r.size}: ${r.value.toFixed(3)} ${r.unit}  (${r.note})`);
}
