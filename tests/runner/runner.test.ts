// The runner (runtime-sh/) driven by plans from runtime-nix/plan.nix, with
// stand-in nixos-rebuild / darwin-rebuild / nixos-anywhere / nix / ssh on PATH that record their
// argv and environment, sleep, and fail on demand.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  hasNix,
  maxOverlap,
  readCalls,
  renderRunner,
  repoRoot,
  standinBin,
  tmpDir,
  writePlanFile,
  type Meta,
  type PlanData,
} from "./support.js";

const nix = hasNix();
if (!nix) console.log("SKIPPED: runner tests: nix is not installed (plans come from plan.nix)");

// The runner's ssh keepalive, after a node's own sshOpts (ssh takes the first value).
const KEEPALIVE = "-o ServerAliveInterval=15 -o ServerAliveCountMax=4";
const TOOLS = ["nixos-rebuild", "darwin-rebuild", "nixos-anywhere", "nix", "ssh"];
// The flake already imports nodes/db's hardware-configuration.nix: installs are a single run.
const HW = "/nix/store/x-source/nodes/db/hardware-configuration.nix";

interface Fleet {
  dir: string;
  bin: string;
  log: string;
  runner: string;
}

function makeFleet(tools = TOOLS): Fleet {
  const dir = tmpDir("nixverse-fleet-");
  writeFileSync(path.join(dir, "flake.nix"), "{ outputs = _: { }; }\n");
  const work = tmpDir("nixverse-work-");
  return {
    dir,
    bin: standinBin(work, tools),
    log: path.join(work, "calls.log"),
    runner: renderRunner(work),
  };
}

function nNodes(n: number, prefix = "n"): { data: PlanData; meta: Meta; names: string[] } {
  const names = Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
  return {
    names,
    data: {
      nodes: Object.fromEntries(
        names.map((x) => [x, { dir: `nodes/${x}`, os: "nixos" as const, groups: ["all"] }]),
      ),
      groups: { all: { dir: "nodes/all", nodes: names } },
    },
    meta: Object.fromEntries(
      names.map((x) => [x, { os: "nixos", deploy: { targetHost: `root@${x}` } }]),
    ),
  };
}

function run(
  f: Fleet,
  planFile: string | null,
  args: string[],
  env: Record<string, string> = {},
): { status: number; stdout: string; stderr: string } {
  const r = spawnSync("bash", [f.runner, ...args], {
    cwd: f.dir,
    encoding: "utf8",
    env: {
      ...process.env,
      PATH: `${f.bin}:${process.env.PATH}`,
      FLAKE: f.dir,
      STANDIN_LOG: f.log,
      ...(planFile ? { NIXVERSE_PLAN_FILE: planFile } : {}),
      ...env,
    },
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function summaryRows(
  stdout: string,
  withStage = false,
): Record<string, { action: string; result: string; stage?: string }> {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => /^NODE\s+ACTION\s+RESULT\s+STAGE\s+STATUS\s+SECONDS/.test(l));
  const rows: Record<string, { action: string; result: string; stage?: string }> = {};
  for (const l of lines.slice(at + 1)) {
    const m =
      /^(\S+)\s+(\S+)\s+(ok|failed|skipped|interrupted|not run)\s+(\S+)\s+(\S+)\s+(\S+)$/.exec(l);
    if (!m) break;
    rows[m[1] as string] = {
      action: m[2] as string,
      result: m[3] as string,
      ...(withStage ? { stage: m[4] as string } : {}),
    };
  }
  return rows;
}

describe.skipIf(!nix)("runner: what runs", () => {
  it("runs the plan's exact argv and NIX_SSHOPTS per meta combination", () => {
    const f = makeFleet();
    const data: PlanData = {
      nodes: {
        full: { dir: "nodes/full", os: "nixos" },
        bare: { dir: "nodes/bare", os: "nixos" },
        mini: { dir: "nodes/mini", os: "darwin" },
      },
    };
    const meta: Meta = {
      full: {
        os: "nixos",
        deploy: {
          targetHost: "root@10.1.1.1",
          buildOnRemote: true,
          useSubstitutes: true,
          useRemoteSudo: true,
          sshOpts: ["Port=2222", "ProxyCommand=ssh -W %h:%p j"],
        },
      },
      bare: { os: "nixos", deploy: { targetHost: "bare", useSubstitutes: false } },
      mini: {
        os: "darwin",
        deploy: { targetHost: "admin@mini", useRemoteSudo: false, sshOpts: ["Port=22"] },
      },
    };
    const plan = writePlanFile(data, meta, {
      action: "deploy",
      names: ["full", "bare", "mini"],
      flakeDir: f.dir,
    });
    const r = run(f, plan, ["node", "deploy", "full", "bare", "mini"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readCalls(f.log);
    const byTool = (t: string) => calls.filter((c) => c.tool === t);
    const rebuilds = byTool("nixos-rebuild").sort((a, b) => a.argv[2]!.localeCompare(b.argv[2]!));
    expect(rebuilds.map((c) => c.argv)).toEqual([
      ["switch", "--flake", `${f.dir}#bare`, "--target-host", "bare"],
      [
        "switch",
        "--flake",
        `${f.dir}#full`,
        "--target-host",
        "root@10.1.1.1",
        "--build-host",
        "root@10.1.1.1",
        "--use-substitutes",
        "--use-remote-sudo",
      ],
    ]);
    expect(rebuilds.map((c) => c.sshopts)).toEqual([
      KEEPALIVE,
      `-o Port=2222 -o 'ProxyCommand=ssh -W %h:%p j' ${KEEPALIVE}`,
    ]);
    // darwin on a target host: archive, then darwin-rebuild on the archived store path over ssh
    expect(byTool("nix").map((c) => [c.argv, c.sshopts])).toEqual([
      [
        ["flake", "archive", "--json", "--to", "ssh://admin@mini", f.dir],
        `-o Port=22 ${KEEPALIVE}`,
      ],
    ]);
    expect(byTool("ssh").map((c) => c.argv)).toEqual([
      [
        "-o",
        "Port=22",
        ...KEEPALIVE.split(" "),
        "--",
        "admin@mini",
        "sudo",
        "darwin-rebuild",
        "switch",
        "--flake",
        // the flake's own path, not the input's that current Nix prints first
        "/nix/store/0000000000000000000000000000000a-source#mini",
      ],
    ]);
    const rows = summaryRows(r.stdout);
    expect(rows).toEqual({
      bare: { action: "deploy", result: "ok" },
      full: { action: "deploy", result: "ok" },
      mini: { action: "deploy", result: "ok" },
    });
  });

  it("prefixes every output line with its node and writes build/logs/<node>.log", () => {
    const f = makeFleet();
    const { data, meta, names } = nNodes(3);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "deploy", "all"]);
    expect(r.status).toBe(0);
    for (const n of names) {
      expect(r.stdout).toMatch(
        new RegExp(`^${n}\\s+\\| nixos-rebuild running for ${n}: switch`, "m"),
      );
      const log = readFileSync(path.join(f.dir, "build", "logs", `${n}.log`), "utf8");
      expect(log).toContain(`nixos-rebuild running for ${n}: switch --flake ${f.dir}#${n}`);
      expect(log).not.toMatch(/\| /); // the log holds the raw lines
    }
    // no line of node output escapes without a prefix
    const body = r.stdout.split("\n\n")[1] ?? "";
    for (const l of body.split("\n").filter(Boolean)) expect(l).toMatch(/^(n\d|probe)\s+\| /);
  });

  it("build: one evaluation and one nix build for all nodes, success and failure per node", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(4);
    const plan = writePlanFile(data, meta, { action: "build", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "build", "all"], {
      STANDIN_EVAL_FAIL: "n3",
      STANDIN_FAIL: "n2",
    });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const calls = readCalls(f.log).filter((c) => c.tool === "nix");
    const evals = calls.filter((c) => c.argv.includes("eval"));
    // one evaluation of all four; the failed one again alone, only to show its error
    expect(evals.map((c) => c.argv.at(-1))).toEqual([
      'nv: nv.targets.shell [ "n1" "n2" "n3" "n4" ]',
      `path:${f.dir}#nixosConfigurations.n3.config.system.build.toplevel.drvPath`,
    ]);
    const builds = calls.filter((c) => c.argv.includes("build"));
    expect(builds).toHaveLength(1);
    expect(builds[0]!.argv.filter((a) => a.startsWith("/nix/store/"))).toEqual(
      ["n1", "n2", "n4"].map(
        (n, i) => `/nix/store/${String([0, 1, 3][i]).padStart(32, "0")}-${n}.drv^out`,
      ),
    );
    expect(summaryRows(r.stdout, true)).toEqual({
      n1: { action: "build", result: "ok", stage: "build" },
      n2: { action: "build", result: "failed", stage: "build" },
      n3: { action: "build", result: "failed", stage: "eval" },
      n4: { action: "build", result: "ok", stage: "build" },
    });
    expect(r.stdout).toMatch(/^n3 +\| evaluation failed/m);
  });

  it("evaluation without nix-eval-jobs: --eval-jobs N splits the nodes into N nix evals (default: one)", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(5);
    const plan = writePlanFile(data, meta, { action: "build", names: ["all"], flakeDir: f.dir });
    const evals = (args: string[]) => {
      const r = run(f, plan, ["node", "build", ...args, "all"], { STANDIN_EVAL_FAIL: "n4" });
      expect(r.status, r.stdout + r.stderr).toBe(1);
      const rows = summaryRows(r.stdout, true);
      expect(Object.entries(rows).map(([n, x]) => [n, x.result, x.stage])).toEqual([
        ["n1", "ok", "build"],
        ["n2", "ok", "build"],
        ["n3", "ok", "build"],
        ["n4", "failed", "eval"],
        ["n5", "ok", "build"],
      ]);
      const calls = readCalls(f.log).filter((c) => c.tool === "nix" && c.argv.includes("eval"));
      writeFileSync(f.log, "");
      return calls.map((c) => c.argv.at(-1)).filter((a) => a!.includes("targets.shell"));
    };
    expect(evals([])).toEqual(['nv: nv.targets.shell [ "n1" "n2" "n3" "n4" "n5" ]']);
    expect(evals(["--eval-jobs", "2"]).sort()).toEqual([
      'nv: nv.targets.shell [ "n1" "n2" "n3" ]',
      'nv: nv.targets.shell [ "n4" "n5" ]',
    ]);
  });

  it("nix-eval-jobs on PATH (a stand-in recording its argv): one run with --workers and --max-memory-size", () => {
    const f = makeFleet([...TOOLS, "nix-eval-jobs"]);
    const { data, meta } = nNodes(3);
    const plan = writePlanFile(data, meta, { action: "build", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "build", "--eval-jobs", "3", "all"], {
      NIXVERSE_EVAL_MAX_MEMORY: "2048",
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readCalls(f.log);
    const nej = calls.filter((c) => c.tool === "nix-eval-jobs");
    expect(nej).toHaveLength(1);
    const argv = nej[0]!.argv;
    expect(argv.slice(argv.indexOf("--workers"), argv.indexOf("--workers") + 4)).toEqual([
      "--workers",
      "3",
      "--max-memory-size",
      "2048",
    ]);
    expect(argv[argv.indexOf("--expr") + 1]).toBe(
      `(builtins.getFlake "path:${f.dir}").nixverse.targets.attrs [ "n1" "n2" "n3" ]`,
    );
    // no nix eval of the targets besides it, and the one build got all three
    expect(calls.filter((c) => c.tool === "nix" && c.argv.includes("eval"))).toEqual([]);
    const builds = calls.filter((c) => c.tool === "nix" && c.argv.includes("build"));
    expect(builds).toHaveLength(1);
    expect(builds[0]!.argv.filter((a) => a.endsWith(".drv^out"))).toHaveLength(3);
  });

  it("build: one nix build per build place (here with nixverse.yaml's builders, each deploy.buildHost over ssh-ng)", () => {
    const f = makeFleet();
    // as gen writes nixverse.yaml's deploy.builders into fleet.nix (tests/generator/config-runner)
    writeFileSync(
      path.join(path.dirname(f.runner), "fleet.nix"),
      '{\n  deploy = {\n    builders = "ssh-ng://big x86_64-linux - 8";\n    parallel = 10;\n  };\n}\n',
    );
    const { data, meta } = nNodes(5);
    (meta.n2 as any).deploy.buildHost = "nix@b1";
    (meta.n3 as any).deploy.buildHost = "nix@b1";
    (meta.n4 as any).deploy.buildHost = "nix@b2";
    const plan = writePlanFile(data, meta, { action: "build", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "build", "all"], { STANDIN_FAIL: "n3" });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    const builds = readCalls(f.log)
      .filter((c) => c.tool === "nix" && c.argv.includes("build"))
      .map((c) => ({
        store: c.argv.includes("--store") ? c.argv[c.argv.indexOf("--store") + 1] : null,
        builders: c.argv.includes("--builders") ? c.argv[c.argv.indexOf("--builders") + 1] : null,
        evalStore: c.argv.includes("--eval-store"),
        nodes: c.argv.filter((a) => a.endsWith(".drv^out")).map((a) => a.split("-").at(-1)),
      }));
    expect(builds).toEqual([
      {
        store: null,
        builders: "ssh-ng://big x86_64-linux - 8",
        evalStore: false,
        nodes: ["n1.drv^out", "n5.drv^out"],
      },
      {
        store: "ssh-ng://nix@b1",
        builders: null,
        evalStore: true,
        nodes: ["n2.drv^out", "n3.drv^out"],
      },
      { store: "ssh-ng://nix@b2", builders: null, evalStore: true, nodes: ["n4.drv^out"] },
    ]);
    const rows = summaryRows(r.stdout, true);
    expect(rows.n3).toEqual({ action: "build", result: "failed", stage: "build" });
    expect(r.stdout).toMatch(/^n3 +\| build failed on ssh-ng:\/\/nix@b1 /m);
    expect(rows.n2!.result).toBe("ok");
  });

  it("copy method: an unreachable node fails at the probe (or is skipped); the rest are evaluated, built, copied, activated", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(3);
    for (const m of Object.values(meta)) (m as any).deploy.method = "copy";
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "deploy", "all"], { STANDIN_UNREACHABLE: "root@n2" });
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^n2 +\| unreachable: root@n2: ssh: connect to host root@n2 port 22: Connection refused/m,
    );
    expect(summaryRows(r.stdout, true)).toEqual({
      n1: { action: "deploy", result: "ok", stage: "activate" },
      n2: { action: "deploy", result: "failed", stage: "probe" },
      n3: { action: "deploy", result: "ok", stage: "activate" },
    });
    const calls = readCalls(f.log);
    expect(calls.filter((c) => c.argv.includes("eval")).map((c) => c.argv.at(-1))).toEqual([
      'nv: nv.targets.shell [ "n1" "n3" ]',
    ]);
    const out = (i: number, n: string) => `/nix/store/${String(i).padStart(32, "0")}-${n}`;
    expect(
      calls
        .filter((c) => c.argv.includes("copy"))
        .map((c) => c.argv.at(-1))
        .sort(),
    ).toEqual([out(0, "n1"), out(1, "n3")]);
    // the probe saw all three, in parallel, bounded
    const probes = readCalls(f.log, true).filter((c) => c.argv.at(-1) === "true");
    expect(probes).toHaveLength(3);
    expect(probes[0]!.argv.slice(0, 4)).toEqual(["-o", "ConnectTimeout=10", "-o", "BatchMode=yes"]);

    const skip = run(f, plan, ["node", "deploy", "--skip-unreachable", "--json", "all"], {
      STANDIN_UNREACHABLE: "root@n2",
    });
    expect(skip.status, skip.stderr).toBe(0);
    const json = JSON.parse(skip.stdout);
    expect(json.nodes.map((n: any) => [n.node, n.stage, n.result, n.status, n.storePath])).toEqual([
      ["n1", "activate", "ok", 0, out(0, "n1")],
      ["n2", "probe", "skipped", 255, null],
      ["n3", "activate", "ok", 0, out(1, "n3")],
    ]);
    expect(json.nodes.every((n: any) => typeof n.seconds === "number")).toBe(true);
    expect(skip.stderr).toContain("1 node(s) skipped as unreachable, the other 2 succeeded");
  });

  it("--reboot: boot, reboot over ssh, wait until the boot id changes", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, {
      action: "deploy",
      names: ["n1"],
      flakeDir: f.dir,
      mode: "reboot",
    });
    const r = run(f, plan, ["node", "deploy", "--reboot", "n1"], { NIXVERSE_REBOOT_POLL: "0.1" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readCalls(f.log);
    expect(calls.map((c) => [c.tool, c.argv.at(-1)])).toEqual([
      ["nixos-rebuild", "root@n1"],
      ["ssh", "/proc/sys/kernel/random/boot_id"],
      ["ssh", "reboot"],
      ["ssh", "/proc/sys/kernel/random/boot_id"],
    ]);
    expect(calls[0]!.argv[0]).toBe("boot");
    expect(r.stdout).toContain("root@n1 is back");
  });

  it("--reboot gives up after the timeout when the host does not come back", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, {
      action: "deploy",
      names: ["n1"],
      flakeDir: f.dir,
      mode: "reboot",
      rebootTimeout: 1,
    });
    // the stand-in host keeps its boot id: it never comes back
    const r = run(f, plan, ["node", "deploy", "--reboot", "n1"], {
      NIXVERSE_REBOOT_POLL: "0.2",
      STANDIN_BOOT_FIXED: "1",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("root@n1 did not answer over SSH within 1 s after the reboot");
    // it polled after the reboot (same boot id each time) and then gave up, rebooting once
    const tail = readCalls(f.log).map((c) => [c.tool, c.argv.at(-1)]);
    expect(tail.slice(0, 3)).toEqual([
      ["nixos-rebuild", "root@n1"],
      ["ssh", "/proc/sys/kernel/random/boot_id"],
      ["ssh", "reboot"],
    ]);
    expect(tail.length).toBeGreaterThan(3);
    expect(new Set(tail.slice(3).map(String))).toEqual(
      new Set([String(["ssh", "/proc/sys/kernel/random/boot_id"])]),
    );
    expect(summaryRows(r.stdout)).toEqual({ n1: { action: "deploy", result: "failed" } });
  });
});

const hasScript = spawnSync("script", ["--version"]).status === 0;
if (!hasScript)
  console.log("SKIPPED: runner colour test: script(1) from util-linux is not installed");
describe.skipIf(!nix || !hasScript)("runner: colour", () => {
  it("colours node names on a terminal, not with NO_COLOR, never in pipes or logs", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["n1"], flakeDir: f.dir });
    const env = {
      ...process.env,
      TERM: "xterm",
      PATH: `${f.bin}:${process.env.PATH}`,
      FLAKE: f.dir,
      STANDIN_LOG: f.log,
      NIXVERSE_PLAN_FILE: plan,
    };
    const tty = (extra: Record<string, string>) =>
      spawnSync("script", ["-qec", `bash ${f.runner} node deploy n1`, "/dev/null"], {
        encoding: "utf8",
        env: { ...env, ...extra },
      }).stdout;
    expect(tty({})).toMatch(/\x1b\[1;3\dmn1\s*\x1b\[0m \| nixos-rebuild running/);
    expect(tty({ NO_COLOR: "1" })).not.toContain("\x1b[");
    expect(run(f, plan, ["node", "deploy", "n1"]).stdout).not.toContain("\x1b[");
    expect(readFileSync(path.join(f.dir, "build/logs/n1.log"), "utf8")).not.toContain("\x1b[");
  });
});

describe.skipIf(!nix)("runner: parallelism and failures", () => {
  it("never runs more than -p nodes at once, and does use -p", () => {
    for (const p of [2, 3]) {
      const f = makeFleet();
      const { data, meta } = nNodes(7);
      const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
      // The first p calls wait for each other (a barrier in the stand-in): so a runner that
      // starts fewer than p at once fails them, and one that starts more shows as an overlap > p.
      const r = run(f, plan, ["node", "deploy", "-p", String(p), "all"], {
        STANDIN_BARRIER: String(p),
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const calls = readCalls(f.log);
      expect(calls).toHaveLength(7);
      expect(maxOverlap(calls)).toBe(p);
    }
  });

  it("2 failing of 6: the other 4 complete, the summary says which, exit 1", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(6);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "deploy", "-p", "2", "all"], {
      STANDIN_SLEEP: "0.2",
      STANDIN_FAIL: "n1 n4",
    });
    expect(r.status).toBe(1);
    const calls = readCalls(f.log);
    expect(calls).toHaveLength(6);
    expect(
      calls
        .filter((c) => c.status === 0)
        .map((c) => c.argv[2])
        .sort(),
    ).toEqual(["n2", "n3", "n5", "n6"].map((n) => `${f.dir}#${n}`));
    const rows = summaryRows(r.stdout);
    expect(Object.fromEntries(Object.entries(rows).map(([n, x]) => [n, x.result]))).toEqual({
      n1: "failed",
      n2: "ok",
      n3: "ok",
      n4: "failed",
      n5: "ok",
      n6: "ok",
    });
    expect(r.stdout).toContain("2 of 6 node(s) did not succeed");
  });

  it("many short nodes: every one is reported, none lost to a race with the scheduler", () => {
    const f = makeFleet();
    const { data, meta } = nNodes(40);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    for (let round = 0; round < 3; round++) {
      const r = run(f, plan, ["node", "deploy", "-p", "8", "all"], { STANDIN_SLEEP: "0" });
      expect(r.status, r.stderr).toBe(0);
      expect(Object.values(summaryRows(r.stdout)).filter((x) => x.result === "ok")).toHaveLength(
        40,
      );
      expect(r.stderr).toBe("");
    }
  });

  it("a missing rebuild tool fails its nodes with a hint", () => {
    const f = makeFleet();
    const data: PlanData = {
      nodes: {
        n1: {
          dir: "nodes/n1",
          os: "nixos",
          diskConfig: ["d.nix"],
          hardware: ["/x/nodes/n1/hardware-configuration.nix"],
        },
      },
    };
    const plan = writePlanFile(
      data,
      { n1: { os: "nixos", deploy: { targetHost: "root@n1" } } },
      {
        action: "install",
        names: ["n1"],
        flakeDir: f.dir,
      },
    );
    // PATH without the stand-ins (and without any real nixos-anywhere)
    const basePath = (process.env.PATH ?? "")
      .split(":")
      .filter((d) => !existsSync(path.join(d, "nixos-anywhere")))
      .join(":");
    const r = run(f, plan, ["node", "install", "n1"], { PATH: basePath });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^n1\s+\| nixos-anywhere is not installed \(not on PATH\); run with it on PATH, e\.g\. nix shell nixpkgs#nixos-anywhere/m,
    );
    expect(summaryRows(r.stdout)).toEqual({ n1: { action: "install", result: "failed" } });
  });

  it("a node whose plan has an error fails alone", () => {
    const f = makeFleet();
    const data: PlanData = {
      nodes: { mac: { dir: "nodes/mac", os: "darwin" }, srv: { dir: "nodes/srv", os: "nixos" } },
    };
    const meta: Meta = {
      mac: { os: "darwin" },
      srv: { os: "nixos", deploy: { targetHost: "srv" } },
    };
    const plan = writePlanFile(data, meta, {
      action: "deploy",
      names: ["mac", "srv"],
      flakeDir: f.dir,
      mode: "test",
    });
    const r = run(f, plan, ["node", "deploy", "--ephemeral", "mac", "srv"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^mac\s+\| error: --ephemeral is only supported for NixOS nodes/m);
    expect(summaryRows(r.stdout)).toEqual({
      mac: { action: "deploy", result: "failed" },
      srv: { action: "deploy", result: "ok" },
    });
  });

  it("Ctrl-C stops every running node, leaves no child process, prints the summary so far", async () => {
    const f = makeFleet();
    const { data, meta } = nNodes(6);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const marker = "37.125"; // a sleep length nothing else on the machine uses
    const child = spawn("bash", [f.runner, "node", "deploy", "-p", "3", "all"], {
      cwd: f.dir,
      env: {
        ...process.env,
        PATH: `${f.bin}:${process.env.PATH}`,
        FLAKE: f.dir,
        STANDIN_LOG: f.log,
        NIXVERSE_PLAN_FILE: plan,
        STANDIN_SLEEP: marker,
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    child.stderr.on("data", (d) => (out += String(d)));
    const started = () => (out.match(/running for n\d/g) ?? []).length;
    for (let t = 0; t < 200 && started() < 3; t++) await new Promise((r) => setTimeout(r, 50));
    expect(started()).toBe(3);
    const running = () =>
      spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => l.includes(`sleep ${marker}`) || l.includes(f.bin));
    expect(running().length).toBeGreaterThanOrEqual(3);
    const exited = new Promise<number>((resolve) =>
      child.on("exit", (code) => resolve(code ?? -1)),
    );
    child.kill("SIGINT");
    const code = await exited;
    expect(code).toBe(130);
    expect(running()).toEqual([]);
    const rows = summaryRows(out);
    expect(Object.values(rows).filter((x) => x.result === "interrupted")).toHaveLength(3);
    expect(Object.values(rows).filter((x) => x.result === "not run")).toHaveLength(3);
    expect(out).not.toMatch(/Terminated|Killed/); // no job-control chatter
  });
});

describe.skipIf(!nix)("runner: a node that ignores SIGTERM", () => {
  it("is killed after the grace period; nothing is left running", async () => {
    const f = makeFleet();
    const { data, meta } = nNodes(2);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const marker = "43.625";
    const child = spawn("bash", [f.runner, "node", "deploy", "all"], {
      cwd: f.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: `${f.bin}:${process.env.PATH}`,
        FLAKE: f.dir,
        STANDIN_LOG: f.log,
        NIXVERSE_PLAN_FILE: plan,
        STANDIN_SLEEP: marker,
        STANDIN_IGNORE_TERM: "1",
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    let err = "";
    child.stderr.on("data", (d) => (err += String(d)));
    for (let t = 0; t < 200 && (out.match(/running for/g) ?? []).length < 2; t++)
      await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise<number>((resolve) =>
      child.on("exit", (code) => resolve(code ?? -1)),
    );
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    // TERM came first and reached both nodes' tools, which went on running…
    const signals = readFileSync(`${f.log}.signals`, "utf8").trim().split("\n").sort();
    expect(signals).toEqual(["nixos-rebuild\tn1\tTERM", "nixos-rebuild\tn2\tTERM"]);
    // …so after the grace period the runner said so and sent KILL…
    expect(err).toContain("interrupted, stopping every running node");
    expect(out).toContain("still running 5 s after SIGTERM, sending SIGKILL");
    // …which ended them: neither finished its call (a finished call is logged), none is left.
    expect(readCalls(f.log).filter((c) => c.tool === "nixos-rebuild")).toEqual([]);
    const left = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((l) => l.includes(`sleep ${marker}`));
    expect(left).toEqual([]);
  });
});

describe.skipIf(!nix)("runner: a single node is stopped too", () => {
  it("SIGTERM to the runner stops a lone node without a terminal", async () => {
    const f = makeFleet();
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["n1"], flakeDir: f.dir });
    const marker = "41.375";
    const child = spawn("bash", [f.runner, "node", "deploy", "n1"], {
      cwd: f.dir,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        PATH: `${f.bin}:${process.env.PATH}`,
        FLAKE: f.dir,
        STANDIN_LOG: f.log,
        NIXVERSE_PLAN_FILE: plan,
        STANDIN_SLEEP: marker,
      },
    });
    let out = "";
    child.stdout.on("data", (d) => (out += String(d)));
    for (let t = 0; t < 200 && !out.includes("running for n1"); t++)
      await new Promise((r) => setTimeout(r, 50));
    const exited = new Promise<number>((resolve) =>
      child.on("exit", (code) => resolve(code ?? -1)),
    );
    child.kill("SIGTERM");
    expect(await exited).toBe(130);
    const left = spawnSync("ps", ["-eo", "args"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((l) => l.includes(`sleep ${marker}`));
    expect(left).toEqual([]);
    expect(summaryRows(out)).toEqual({ n1: { action: "deploy", result: "interrupted" } });
  });
});

describe.skipIf(!nix)("runner: host files for install, user Makefile", () => {
  function gitFleet(): Fleet {
    const f = makeFleet();
    const g = (...a: string[]) => spawnSync("git", ["-C", f.dir, ...a], { encoding: "utf8" });
    g("init", "-q");
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(f.dir, rel)), { recursive: true });
      writeFileSync(path.join(f.dir, rel), text);
    };
    put("nodes/db/fs/etc/motd", "node motd\n");
    put("nodes/db/fs/etc/only-node", "node\n");
    put("nodes/srv/common/fs/etc/motd", "group motd\n");
    put("nodes/srv/common/fs/etc/only-group", "group\n");
    put("nodes/db/fs/etc/untracked", "not in git\n");
    g("add", "nodes/db/fs/etc/motd", "nodes/db/fs/etc/only-node", "nodes/srv/common/fs");
    return f;
  }

  it("install passes the assembled tree (git-tracked files, node over group) as --extra-files, then removes it", () => {
    const f = gitFleet();
    const data: PlanData = {
      nodes: {
        db: {
          dir: "nodes/db",
          os: "nixos",
          groups: ["srv"],
          diskConfig: ["disk-config.nix"],
          hardware: [HW],
        },
      },
      groups: { srv: { dir: "nodes/srv", nodes: ["db"] } },
    };
    const meta: Meta = { db: { os: "nixos", deploy: { targetHost: "root@db" } } };
    const plan = writePlanFile(data, meta, { action: "install", names: ["db"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "install", "db"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const [call] = readCalls(f.log);
    const at = call!.argv.indexOf("--extra-files");
    expect(at).toBe(8);
    expect(call!.argv.slice(0, 8)).toEqual([
      "--flake",
      `${f.dir}#db`,
      "--generate-hardware-config",
      "nixos-generate-config",
      `${f.dir}/nodes/db/hardware-configuration.nix`,
      "--build-on",
      "local",
      "--no-substitute-on-destination",
    ]);
    expect(call!.argv.at(-1)).toBe("root@db");
    const extra = readFileSync(`${f.log}.extra`, "utf8").trim().split("\n");
    expect(extra).toEqual([
      "etc 755 d",
      "etc/motd 644 f",
      "etc/only-group 644 f",
      "etc/only-node 644 f",
    ]);
    expect(existsSync(call!.argv[at + 1]!)).toBe(false);
  });

  it("install without host files drops --extra-files", () => {
    const f = makeFleet();
    const data: PlanData = {
      nodes: { db: { dir: "nodes/db", os: "nixos", diskConfig: ["d.nix"], hardware: [HW] } },
    };
    const plan = writePlanFile(
      data,
      { db: { os: "nixos", install: { targetHost: "root@db" } } },
      {
        action: "install",
        names: ["db"],
        flakeDir: f.dir,
      },
    );
    const r = run(f, plan, ["node", "install", "db"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readCalls(f.log)[0]!.argv).not.toContain("--extra-files");
  });

  it("first install: kexec phase, regenerate with nixverse-gen, then the install phases", () => {
    const f = makeFleet();
    symlinkSync(
      path.join(repoRoot, "tests/runner/fixtures/standin.sh"),
      path.join(f.bin, "nixverse-gen"),
    );
    const data: PlanData = {
      nodes: {
        a: { dir: "nodes/a", os: "nixos", diskConfig: ["d.nix"] },
        b: { dir: "nodes/b", os: "nixos", diskConfig: ["d.nix"] },
      },
    };
    const meta: Meta = {
      a: { os: "nixos", deploy: { targetHost: "root@a" } },
      b: { os: "nixos", deploy: { targetHost: "root@b" } },
    };
    const plan = writePlanFile(data, meta, {
      action: "install",
      names: ["a", "b"],
      flakeDir: f.dir,
    });
    const r = run(f, plan, ["node", "install", "a", "b"], { STANDIN_SLEEP: "0.2" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const calls = readCalls(f.log);
    for (const n of ["a", "b"]) {
      const mine = calls.filter(
        (c) => c.tool === "nixverse-gen" || c.argv.includes(`${f.dir}#${n}`),
      );
      const kexec = mine.findIndex((c) => c.tool === "nixos-anywhere" && c.argv.includes("kexec"));
      const install = mine.findIndex(
        (c) => c.tool === "nixos-anywhere" && c.argv.includes("disko,install,reboot"),
      );
      expect(kexec).toBeGreaterThanOrEqual(0);
      expect(install).toBeGreaterThan(kexec);
      // a regeneration finished after this node's hardware detection and before its install
      const regen = mine.filter(
        (c) =>
          c.tool === "nixverse-gen" && c.start > mine[kexec]!.end && c.end < mine[install]!.start,
      );
      expect(regen.length).toBeGreaterThanOrEqual(1);
    }
    const regens = calls.filter((c) => c.tool === "nixverse-gen");
    expect(regens.map((c) => c.argv)).toEqual([
      ["gen", "--flake", f.dir],
      ["gen", "--flake", f.dir],
    ]);
    // never two regenerations at once
    expect(maxOverlap(regens)).toBe(1);
  });

  it("first install without nixverse-gen stops after the hardware detection and says what to do", () => {
    const f = makeFleet();
    const data: PlanData = { nodes: { a: { dir: "nodes/a", os: "nixos", diskConfig: ["d.nix"] } } };
    const plan = writePlanFile(
      data,
      { a: { os: "nixos", deploy: { targetHost: "root@a" } } },
      { action: "install", names: ["a"], flakeDir: f.dir },
    );
    const basePath = (process.env.PATH ?? "")
      .split(":")
      .filter((d) => !existsSync(path.join(d, "nixverse-gen")))
      .join(":");
    const r = run(f, plan, ["node", "install", "a"], { PATH: `${f.bin}:${basePath}` });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      "run `nixverse-gen` in " + f.dir + ", then `nix run . -- node install a` again",
    );
    // Not npm's 404: nixverse-gen is not in the registry, so say how to install it.
    expect(r.stdout).toContain(
      "nixverse-gen is not installed (install it from a clone of its repository with `npm ci && npm link` (it is not in the npm registry yet))",
    );
    expect(readCalls(f.log).map((c) => c.argv.includes("kexec"))).toEqual([true]);
  });

  it("runs the user Makefile for the resolved nodes before any node command", () => {
    const f = makeFleet();
    writeFileSync(
      path.join(f.dir, "Makefile"),
      "nodes/n1 nodes/n2:\n\techo $@ $(node_n1_os) $(group_all_nodes) >> made.txt\n",
    );
    const { data, meta } = nNodes(2);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["all"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "deploy", "all"], {
      STANDIN_CHECK_FILE: path.join(f.dir, "made.txt"),
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(f.dir, "made.txt"), "utf8").split("\n").sort()).toEqual([
      "",
      "nodes/n1 nixos n1 n2",
      "nodes/n2 nixos n1 n2",
    ]);
    expect(readFileSync(`${f.log}.check`, "utf8").trim().split("\n").sort()).toEqual([
      "nixos-rebuild\tn1\tpresent",
      "nixos-rebuild\tn2\tpresent",
    ]);
    expect(r.stdout).toMatch(/^make\s+\| /m);
  });

  it("a failing Makefile stops the run before any node", () => {
    const f = makeFleet();
    writeFileSync(path.join(f.dir, "Makefile"), "nodes/n1:\n\tfalse\n");
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["n1"], flakeDir: f.dir });
    const r = run(f, plan, ["node", "deploy", "n1"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("make failed");
    expect(readCalls(f.log)).toEqual([]);
  });
});

describe.skipIf(!nix)("runner: decrypting host files without nixverse-gen", () => {
  function secretFleet() {
    const f = makeFleet();
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(f.dir, rel)), { recursive: true });
      writeFileSync(path.join(f.dir, rel), text);
    };
    put(
      "nodes/db/secrets/fs/etc/ssh/ssh_host_ed25519_key",
      "STANDIN-ENCRYPTED master\n-----BEGIN KEY-----\nkey-of-db\n",
    );
    put("nodes/db/secrets/fs/etc/token", "STANDIN-ENCRYPTED node:db\nt0ken\n");
    const data: PlanData = {
      nodes: { db: { dir: "nodes/db", os: "nixos", diskConfig: ["d.nix"], hardware: [HW] } },
    };
    const plan = writePlanFile(
      data,
      { db: { os: "nixos", install: { targetHost: "root@db" } } },
      {
        action: "install",
        names: ["db"],
        flakeDir: f.dir,
      },
    );
    return { f, plan };
  }
  // PATH without nixverse-gen; npx finds no nixverse-gen in a fleet without node_modules
  const basePath = (process.env.PATH ?? "")
    .split(":")
    .filter((d) => !existsSync(path.join(d, "nixverse-gen")))
    .join(":");

  it("uses sops (master key for the host key, the node key via ssh-to-age for the rest)", () => {
    const { f, plan } = secretFleet();
    for (const t of ["sops", "ssh-to-age"])
      symlinkSync(
        path.join(repoRoot, "tests/runner/fixtures/sops-standin.sh"),
        path.join(f.bin, t),
      );
    const r = run(f, plan, ["node", "install", "db"], { PATH: `${f.bin}:${basePath}` });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(`${f.log}.extra`, "utf8").trim().split("\n")).toEqual([
      "etc 755 d",
      "etc/ssh 755 d",
      "etc/ssh/ssh_host_ed25519_key 600 f",
      "etc/token 600 f",
    ]);
  });

  it("secrets without nixverse-gen say how to install it, not npm's 404", () => {
    const { f } = secretFleet();
    const r = run(f, null, ["secrets", "eval", "1"], {
      PATH: `${f.bin}:${basePath}`,
      NIXVERSE_GEN_JS: "",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      "secrets commands need nixverse-gen, which is not installed: install it from a clone of its repository with `npm ci && npm link` (it is not in the npm registry yet); then run `nixverse-gen secrets eval 1`",
    );
    expect(r.stderr).not.toMatch(/npm (ERR|error)|404/);
  });

  it("without any decrypter, the node fails saying exactly what to install", () => {
    const { f, plan } = secretFleet();
    const r = run(f, plan, ["node", "install", "db"], { PATH: `${f.bin}:${basePath}` });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      "cannot decrypt " +
        f.dir +
        "/nodes/db/secrets/fs/etc/ssh/ssh_host_ed25519_key: no decrypter found; install nixverse-gen (from a clone of its repository: npm ci && npm link), or install sops and ssh-to-age",
    );
    expect(readCalls(f.log)).toEqual([]);
  });
});

describe.skipIf(!nix)("runner: finding the fleet", () => {
  it("without FLAKE: the nearest generated fleet above $PWD, else the fleet the script lives in", () => {
    const f = makeFleet();
    mkdirSync(path.join(f.dir, "nodes", "n1"), { recursive: true });
    const script = renderRunner(path.join(f.dir, "nixverse"));
    const { data, meta } = nNodes(1);
    const plan = writePlanFile(data, meta, { action: "deploy", names: ["n1"], flakeDir: f.dir });
    const go = (cwd: string, runner: string) =>
      spawnSync("bash", [runner, "node", "deploy", "n1"], {
        cwd,
        encoding: "utf8",
        env: {
          ...process.env,
          FLAKE: "",
          PATH: `${f.bin}:${process.env.PATH}`,
          STANDIN_LOG: f.log,
          NIXVERSE_PLAN_FILE: plan,
        },
      });
    // from a subdirectory of the fleet, with a runner copy living elsewhere
    expect(go(path.join(f.dir, "nodes", "n1"), f.runner).stdout).toContain(
      `logs: ${f.dir}/build/runs/`,
    );
    // from inside an unrelated flake: not that one, but the fleet the script belongs to
    const other = tmpDir("nixverse-other-");
    writeFileSync(path.join(other, "flake.nix"), "{ }\n");
    const r = go(other, script);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(path.join(other, "build"))).toBe(false);
    expect(readFileSync(path.join(f.dir, "build", "logs", "n1.log"), "utf8")).toContain(
      "running for n1",
    );
  });
});

describe("runner: command line", () => {
  const f = makeFleet();
  // 99999999999999999999 and 18446744073709551617 wrapped in bash arithmetic (to a huge pool, or 1).
  it.each([
    ["0"],
    ["-1"],
    ["-3"],
    ["x"],
    ["1.5"],
    [""],
    ["1025"],
    ["99999999999999999999"],
    ["18446744073709551617"],
    ["0x10"],
  ])("-p %s is a usage error", (p) => {
    for (const args of [["-p", p], [`--parallel=${p}`]]) {
      const r = run(f, null, ["node", "deploy", ...args, "n1"]);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(
        `nixverse: -p must be an integer from 1 to 1024, got "${p}"\n` +
          'Run "nix run . -- node deploy --help" for usage.\n',
      );
    }
  });
  it("--dry-run, --ephemeral and --reboot are mutually exclusive, and deploy-only", () => {
    const r = run(f, null, ["node", "deploy", "--dry-run", "--reboot", "n1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      "--dry-run, --ephemeral, --reboot, --boot, --dry-activate and --goal are mutually exclusive",
    );
    const b = run(f, null, ["node", "build", "--ephemeral", "n1"]);
    expect(b.status).toBe(2);
    expect(b.stderr).toContain("--ephemeral is an option of node deploy only");
  });
  it("no names prints the subcommand's help on stderr", () => {
    const r = run(f, null, ["node", "install"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Usage: nix run . -- node install");
  });
  it.each([
    [["--help"], "Usage: nix run . -- <command>"],
    [["help"], "node deploy"],
    [["node", "--help"], "Usage: nix run . -- node <deploy|build|install>"],
    [["node", "deploy", "--help"], "--ephemeral"],
    [["node", "build", "-h"], "nix build --no-link"],
    [["node", "install", "--help"], "nixos-anywhere"],
    [["help", "node", "deploy"], "--reboot"],
  ])("help: %j", (args, text) => {
    const r = run(f, null, args);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(text);
  });
  it("unknown commands and options", () => {
    expect(run(f, null, ["frob"]).status).toBe(2);
    expect(run(f, null, ["node", "frob"]).stderr).toContain("Unknown command node frob");
    expect(run(f, null, ["node", "deploy", "--frob", "x"]).stderr).toContain(
      "Unknown option --frob",
    );
  });
});
