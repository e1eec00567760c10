// The runner's stages on 50 stand-in nodes that use the real home-manager, sops-nix and disko
// modules (each node's toplevel depends on its home-manager, sops and disko config, so evaluating
// it evaluates those modules):
//   1. evaluation: ONE evaluator for all 50 toplevels (what the runner's eval stage runs:
//      nixverse.targets) vs one `nix eval` per node (what one nixos-rebuild per node costs) —
//      Nix's value counter and its CPU seconds, summed over the processes;
//   2. the full deploy on loopback (a real sshd on 127.0.0.1, the target's store a separate
//      store root): `node deploy -p 10` with the stages vs the closest real per-node path here
//      (nixos-rebuild is not installed): the same runner once per node, 10 at a time, each run
//      evaluating, building, copying and activating its one node.
// Needs NIX_INPUTS_DIR, root and sshd; otherwise it prints one SKIPPED row.
// Run alone: node bench/run.mjs runner-stages
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  NIX_CONFIG,
  flakeInputNames,
  generatedOverrides,
  missing,
  nixEvalStats,
  prepareStandins,
} from "./nix-stats.mjs";

const repo = fileURLToPath(new URL("../", import.meta.url));
const cli = path.join(repo, "bin", "nixverse-gen.js");
const NODES = 50;
const GROUPS = 5;
const PARALLEL = 10;
const names = Array.from({ length: NODES }, (_, i) => `n${i + 1}`);

function write(root, rel, text) {
  const f = path.join(root, rel);
  mkdirSync(path.dirname(f), { recursive: true });
  writeFileSync(f, text);
}

/** 5 groups of 10; every node: a home-manager user, a sops secret, a disko disk. */
function writeFleet(root, sshOpts) {
  const per = NODES / GROUPS;
  for (let g = 0; g < GROUPS; g++) {
    const members = names.slice(g * per, (g + 1) * per);
    write(
      root,
      `nodes/g${g}/group.nix`,
      `{
  common = {
    os = "nixos";
    channel = "unstable";
    deploy.targetHost = "root@127.0.0.1";
    deploy.sshOpts = builtins.fromJSON ''${JSON.stringify(sshOpts)}'';
  };
${members.map((n) => `  ${n} = { };`).join("\n")}
}
`,
    );
    write(
      root,
      `nodes/g${g}/common/configuration.nix`,
      `{ config, ... }:
{
  sops.validateSopsFiles = false;
  sops.secrets.token = { };
  users.users.alice = { name = "alice"; home = "/home/alice"; };
  home-manager.users.alice.home.stateVersion = "24.05";
  # the toplevel depends on what the three modules computed
  system.standin.marker = builtins.concatStringsSep " " [
    config.home-manager.users.alice.home.homeDirectory
    config.sops.secrets.token.path
    config.disko.devices.disk.main.device
  ];
}
`,
    );
    write(root, `nodes/g${g}/common/users/alice/home.nix`, '{ home.username = "alice"; }\n');
    write(
      root,
      `nodes/g${g}/common/disk-config.nix`,
      `{ disko.devices.disk.main = { device = "/dev/vda"; type = "disk"; content = { type = "gpt"; partitions.root = { size = "100%"; content = { type = "filesystem"; format = "ext4"; mountpoint = "/"; }; }; }; }; }\n`,
    );
    for (const n of members) write(root, `nodes/g${g}/${n}/secrets.yaml`, "token: ENC[stand-in]\n");
  }
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** sshd on 127.0.0.1 as in tests/support/sshd.ts; returns its ssh options and a stop(). */
async function sshd(dir) {
  const port = await freePort();
  const k = (f) => path.join(dir, f);
  for (const f of ["host_key", "client_key"])
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k(f)]);
  writeFileSync(k("authorized_keys"), readFileSync(k("client_key.pub")));
  writeFileSync(
    k("sshd_config"),
    `ListenAddress 127.0.0.1\nPort ${port}\nHostKey ${k("host_key")}\nPidFile ${k("sshd.pid")}\nAuthorizedKeysFile ${k("authorized_keys")}\nStrictModes no\nUsePAM no\nPasswordAuthentication no\nPermitRootLogin prohibit-password\nMaxStartups 100:30:200\nMaxSessions 100\nAcceptEnv STANDIN_ACTIVATION_LOG\n`,
  );
  mkdirSync("/run/sshd", { recursive: true });
  const p = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", k("sshd_config")], { stdio: "ignore" });
  for (let t = 0; t < 100; t++) {
    const up = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    opts: [
      `Port=${port}`,
      `IdentityFile=${k("client_key")}`,
      `UserKnownHostsFile=${k("known_hosts")}`,
      "StrictHostKeyChecking=accept-new",
      "BatchMode=yes",
      "SendEnv=STANDIN_ACTIVATION_LOG",
    ],
    stop: () => p.kill("SIGTERM"),
  };
}

/** Runs the fleet's runner; wall seconds, and checks every node was activated. */
function deploy(fleet, target, args, log) {
  const t = process.hrtime.bigint();
  const r = spawnSync("bash", [path.join(fleet, "nixverse/run.sh"), "node", "deploy", ...args], {
    cwd: fleet,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      NIX_CONFIG,
      NIXVERSE_HOST_ROOT: target,
      STANDIN_ACTIVATION_LOG: log,
    },
  });
  if (r.status !== 0)
    throw new Error(`node deploy ${args.join(" ")} failed:\n${r.stderr.slice(-3000)}`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * The per-node path: one runner per node, PARALLEL at a time. Each worker slot has its own copy
 * of the fleet: Nix rewrites flake.lock when it locks the stand-in inputs, and ten evaluations
 * of one directory at once read each other's half-written lock file.
 */
async function deployPerNode(fleet, target, log) {
  const queue = [...names];
  const copies = Array.from({ length: PARALLEL }, (_, w) => {
    const c = `${fleet}-w${w}`;
    cpSync(fleet, c, { recursive: true });
    return c;
  });
  const t = process.hrtime.bigint();
  const worker = async (w) => {
    for (let n = queue.shift(); n; n = queue.shift()) {
      await new Promise((resolve, reject) => {
        const p = spawn("bash", [path.join(copies[w], "nixverse/run.sh"), "node", "deploy", n], {
          cwd: copies[w],
          stdio: ["ignore", "ignore", "pipe"],
          env: {
            ...process.env,
            NIX_CONFIG,
            NIXVERSE_HOST_ROOT: target,
            STANDIN_ACTIVATION_LOG: log,
          },
        });
        let err = "";
        p.stderr.on("data", (d) => (err += String(d)));
        p.on("exit", (code) =>
          code === 0
            ? resolve()
            : reject(new Error(`node deploy ${n}: ${code}\n${err.slice(-2000)}`)),
        );
      });
    }
  };
  // every worker ends before the result (a failure must not leave runs behind)
  const results = await Promise.allSettled(Array.from({ length: PARALLEL }, (_, w) => worker(w)));
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return Number(process.hrtime.bigint() - t) / 1e9;
}

const activations = (log) =>
  new Set(
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[0]),
  ).size;
const int = (x) => Math.round(x).toLocaleString("en-US");

export async function run() {
  const why =
    missing(process.env.NIX_INPUTS_DIR) ??
    (process.getuid?.() !== 0 ? "needs root (the loopback sshd)" : null);
  if (why)
    return [
      { bench: "runner stages", size: `${NODES} nodes`, value: "SKIPPED", unit: "", note: why },
    ];
  const s = prepareStandins(process.env.NIX_INPUTS_DIR);
  const root = mkdtempSync(path.join(os.tmpdir(), "nixverse-bench-stages-"));
  const server = await sshd(root);
  try {
    const fleet = path.join(root, "fleet");
    writeFleet(fleet, server.opts);
    execFileSync("node", [cli, "gen", "-q", "--flake", fleet], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    execFileSync(
      "nix",
      ["flake", "lock", `path:${fleet}`, ...generatedOverrides(flakeInputNames(fleet), s)],
      { env: { ...process.env, NIX_CONFIG }, stdio: ["ignore", "ignore", "inherit"] },
    );
    // a git work tree, as a real fleet is: nix copies only tracked files, so the logs the runs
    // write under build/ (and concurrent runs' flake.lock reads) do not race with the copies
    writeFileSync(path.join(fleet, ".gitignore"), "/build/\n");
    const git = (...a) => execFileSync("git", ["-C", fleet, ...a], { stdio: "ignore" });
    git("init", "-q");
    git("add", "-A");
    const list = names.map((n) => `"${n}"`).join(" ");
    const one = nixEvalStats(fleet, "nixverse", {
      apply: `nv: builtins.attrValues (builtins.mapAttrs (n: t: t.drvPath) (nv.targets.attrs [ ${list} ]))`,
    });
    if (one.result.length !== NODES) throw new Error("one evaluator: not every node evaluated");
    let values = 0;
    let cpuMs = 0;
    for (const n of names) {
      const r = nixEvalStats(
        fleet,
        `nixosConfigurations.${n}.config.system.build.toplevel.drvPath`,
      );
      values += r.values;
      cpuMs += r.cpuMs;
    }
    const perNodeLog = path.join(root, "per-node.log");
    const perNode = await deployPerNode(fleet, path.join(root, "target-per-node"), perNodeLog);
    const stagedLog = path.join(root, "staged.log");
    const staged = deploy(
      fleet,
      path.join(root, "target-staged"),
      ["-p", String(PARALLEL), "g0", "g1", "g2", "g3", "g4"],
      stagedLog,
    );
    for (const [what, log] of [
      ["staged", stagedLog],
      ["per node", perNodeLog],
    ])
      if (activations(log) !== NODES) throw new Error(`${what}: not every node was activated`);
    const size = `${NODES} nodes (home-manager, sops-nix, disko)`;
    return [
      {
        bench: "eval: one evaluator, all nodes",
        size,
        value: one.values,
        unit: "values",
        note: `CPU ${(one.cpuMs / 1000).toFixed(2)} s; 1 process`,
      },
      {
        bench: "eval: one nix eval per node",
        size,
        value: values,
        unit: "values",
        note: `CPU ${(cpuMs / 1000).toFixed(2)} s; ${NODES} processes; ${(values / one.values).toFixed(1)}× the values`,
      },
      {
        bench: "deploy loopback: stages",
        size: `${size}, -p ${PARALLEL}`,
        value: staged,
        unit: "s",
        note: "1 eval + 1 nix build, then nix copy/profile/switch per node",
      },
      {
        bench: "deploy loopback: per node",
        size: `${size}, ${PARALLEL} at a time`,
        value: perNode,
        unit: "s",
        note: `nixos-rebuild not installed: the runner once per node (eval+build+copy+switch each); ${(perNode / staged).toFixed(1)}× the staged time`,
      },
    ];
  } finally {
    server.stop();
    s.cleanup();
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  for (const r of await run())
    console.log(
      `${r.bench}  ${r.size}: ${typeof r.value === "number" ? int(r.value) : r.value} ${r.unit}  (${r.note})`,
    );
}
