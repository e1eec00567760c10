// The runner's stages end to end on loopback (tier B: stand-in nixpkgs with the real lib, and a
// real sshd on 127.0.0.1 as root): a generated fleet of 12 stand-in nodes is evaluated in one
// evaluator, built in one `nix build`, and per node copied with `nix copy` into a separate
// store root (NIXVERSE_HOST_ROOT: the target's / is a sandbox dir, its store the chroot store
// there), its system profile set and switch-to-configuration run over ssh. A node whose port is
// closed fails fast at the probe while the others complete. Nix is counted through a PATH
// wrapper: the counts, not timings, are asserted.

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flakeInputNames, overridesFor, tierBMissing } from "../runtime/support/nix.js";
import { freePort, sshdMissing, startSshd, type Sshd } from "../support/sshd.js";
import { NIX_CONFIG, buildableStoreRoot, nixEnv } from "../support/nix.js";
import { repoRoot, tmpDir } from "./support.js";

const missing = tierBMissing() ?? sshdMissing();
if (missing) console.log(`SKIPPED: runner stages on loopback: ${missing}`);

const WEB = Array.from({ length: 12 }, (_, i) => `web${i + 1}`);

const SUBCOMMANDS = new Set(["eval", "build", "copy", "path-info", "flake", "run", "store"]);

/** A bin/ dir whose `nix` logs its argv to `<dir>/nix-calls` and runs the real nix. */
function countingNix(dir: string): { bin: string; calls: () => string[] } {
  const bin = path.join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  const real = spawnSync("sh", ["-c", "command -v nix"], { encoding: "utf8" }).stdout.trim();
  const log = path.join(dir, "nix-calls");
  writeFileSync(
    path.join(bin, "nix"),
    `#!/bin/sh\nprintf '%s\\037' "$@" >>'${log}'\necho >>'${log}'\nexec ${real} "$@"\n`,
  );
  chmodSync(path.join(bin, "nix"), 0o755);
  // each call's subcommand: its first word that is one
  return {
    bin,
    calls: () =>
      (existsSync(log) ? readFileSync(log, "utf8").split("\n").filter(Boolean) : []).map(
        (l) => l.split("\x1f").find((w) => SUBCOMMANDS.has(w)) ?? "?",
      ),
  };
}

function write(root: string, files: Record<string, string>) {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
}

/** gen, then `nix flake lock` with the stand-in inputs. */
async function genAndLock(fleet: string) {
  const gen = spawnSync(
    "node",
    [path.join(repoRoot, "bin/nixverse-gen.js"), "gen", "-q", "--flake", fleet],
    { encoding: "utf8" },
  );
  expect(gen.status, gen.stderr).toBe(0);
  const lock = spawnSync(
    "nix",
    ["flake", "lock", `path:${fleet}`, ...overridesFor(await flakeInputNames(fleet))],
    { encoding: "utf8", env: nixEnv() },
  );
  expect(lock.status, lock.stderr).toBe(0);
}

describe.skipIf(missing !== null)("runner stages on loopback", () => {
  let sshd: Sshd;
  beforeAll(async () => {
    sshd = await startSshd(["STANDIN_ACTIVATION_LOG", "NIX_CONFIG"]);
  });
  afterAll(() => sshd?.stop());

  it("12 nodes evaluated once, built once, copied, profile set and activated; an unreachable one fails fast", async () => {
    const fleet = tmpDir("nixverse-loopback-");
    const closed = await freePort();
    const opts = (port: number) =>
      JSON.stringify([
        ...sshd.sshOpts.filter((o) => !o.startsWith("Port=")),
        `Port=${port}`,
        "SendEnv=STANDIN_ACTIVATION_LOG",
      ]);
    write(fleet, {
      "nodes/web/group.nix": `{
  common = {
    os = "nixos";
    channel = "unstable";
    deploy.targetHost = "root@127.0.0.1";
    deploy.sshOpts = builtins.fromJSON ''${opts(sshd.port)}'';
  };
${WEB.map((n) => `  ${n} = { };`).join("\n")}
}
`,
      "nodes/web/common/configuration.nix": "{ }\n",
      "nodes/down/node.nix": `{
  os = "nixos";
  channel = "unstable";
  deploy.targetHost = "root@127.0.0.1";
  deploy.sshOpts = builtins.fromJSON ''${opts(closed)}'';
}
`,
      "nodes/down/configuration.nix": "{ }\n",
    });
    await genAndLock(fleet);

    const work = tmpDir("nixverse-loopback-work-");
    const target = path.join(work, "target");
    const activations = path.join(work, "activation.log");
    const nix = countingNix(work);
    const r = spawnSync(
      "bash",
      [path.join(fleet, "nixverse/run.sh"), "node", "deploy", "--json", "-p", "4", "web", "down"],
      {
        cwd: fleet,
        encoding: "utf8",
        env: {
          ...nixEnv(),
          PATH: `${nix.bin}:${process.env.PATH}`,
          NIXVERSE_HOST_ROOT: target,
          STANDIN_ACTIVATION_LOG: activations,
        },
      },
    );
    expect(r.status, r.stderr).toBe(1); // down failed
    const summary = JSON.parse(r.stdout) as {
      nodes: {
        node: string;
        stage: string;
        result: string;
        status: number;
        storePath: string | null;
        seconds: number;
      }[];
    };
    const byNode = Object.fromEntries(summary.nodes.map((n) => [n.node, n]));
    expect(Object.keys(byNode).sort()).toEqual(["down", ...WEB].sort());
    expect(byNode.down).toMatchObject({
      stage: "probe",
      result: "failed",
      status: 255,
      storePath: null,
    });
    expect(r.stderr).toMatch(/down +\| unreachable: root@127\.0\.0\.1: .*Connection refused/);

    // each node: its own closure, really in the target's store, switched to exactly once
    const lines = readFileSync(activations, "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(WEB.length);
    for (const n of WEB) {
      const s = byNode[n]!;
      expect(s).toMatchObject({ stage: "activate", result: "ok", status: 0 });
      expect(s.storePath).toMatch(
        new RegExp(`^/nix/store/[a-z0-9]{32}-nixos-system-${n}-standin$`),
      );
      expect(existsSync(path.join(target, s.storePath!, "bin/switch-to-configuration"))).toBe(true);
      expect(
        lines.filter((l) => l === `${n} switch-to-configuration switch ${s.storePath}`),
      ).toHaveLength(1);
    }
    // the system profile of the target root: one generation per node's closure
    const profiles = path.join(target, "nix/var/nix/profiles");
    const gens = readdirSync(profiles)
      .filter((f) => /^system-\d+-link$/.test(f))
      .map((f) => readlinkSync(path.join(profiles, f)));
    expect(gens.sort()).toEqual(WEB.map((n) => byNode[n]!.storePath).sort());

    // one evaluator for the nodes (the other `nix eval` is the plan), one nix build, a copy per node
    const calls = nix.calls();
    expect(calls.filter((c) => c === "eval")).toHaveLength(2);
    expect(calls.filter((c) => c === "build")).toHaveLength(1);
    expect(calls.filter((c) => c === "copy")).toHaveLength(WEB.length);
    // logs of this run, kept under build/runs/<time>/
    const latest = path.join(fleet, "build/runs/latest");
    expect(readFileSync(path.join(latest, "web3.log"), "utf8")).toContain(
      "switch-to-configuration",
    );
    expect(JSON.parse(readFileSync(path.join(latest, "summary.json"), "utf8"))).toEqual(summary);

    // --failed: the last run's failures, selected without naming them
    const again = spawnSync(
      "bash",
      [
        path.join(fleet, "nixverse/run.sh"),
        "node",
        "deploy",
        "--failed",
        "--skip-unreachable",
        "--json",
      ],
      {
        cwd: fleet,
        encoding: "utf8",
        env: { ...nixEnv(), PATH: `${nix.bin}:${process.env.PATH}` },
      },
    );
    expect(again.status, again.stderr).toBe(0);
    expect(
      JSON.parse(again.stdout).nodes.map((n: { node: string; result: string }) => [
        n.node,
        n.result,
      ]),
    ).toEqual([["down", "skipped"]]);
  });

  it("deploy.buildHost, deploy.buildOnTarget and deploy.cache: built where meta says, each closure uploaded once", async () => {
    const fleet = tmpDir("nixverse-loopback-remote-");
    const work = tmpDir("nixverse-loopback-remote-work-");
    // Nix builds in a chroot store only outside world-writable dirs such as /tmp
    const builder = buildableStoreRoot("builder-");
    const target = buildableStoreRoot("target-");
    const cache = path.join(work, "cache");
    const opts = JSON.stringify([
      ...sshd.sshOpts,
      "SendEnv=STANDIN_ACTIVATION_LOG",
      "SendEnv=NIX_CONFIG",
    ]);
    const host = `deploy.targetHost = "root@127.0.0.1";
    deploy.sshOpts = builtins.fromJSON ''${opts}'';`;
    // a group of two nodes <g>1 and <g>2 with one deploy setting of their own
    const group = (g: string, setting: string) => `{
  common = {
    os = "nixos";
    channel = "unstable";
    ${host}
    ${setting}
  };
  ${g}1 = { };
  ${g}2 = { };
}
`;
    write(fleet, {
      "nodes/bh/group.nix": group("bh", `deploy.buildHost = "root@127.0.0.1";`),
      "nodes/ch/group.nix": group("ch", `deploy.cache = "file://${cache}";`),
      "nodes/bot/node.nix": `{
  os = "nixos";
  channel = "unstable";
  ${host}
  deploy.buildOnTarget = true;
  tags = [ "edge" ];
}
`,
      "nodes/bh/common/configuration.nix": "{ }\n",
      "nodes/ch/common/configuration.nix": "{ }\n",
      "nodes/bot/configuration.nix": "{ }\n",
    });
    await genAndLock(fleet);

    const activations = path.join(work, "activation.log");
    const nix = countingNix(work);
    // For the builder's and the target's nix (sent over ssh): the stand-in toplevel's builder
    // uses the host's /bin; the cache in this test is unsigned.
    const env = {
      ...nixEnv(),
      NIX_CONFIG: `${NIX_CONFIG}\nsandbox-paths = /bin /usr /lib? /lib64?\nrequire-sigs = false`,
      PATH: `${nix.bin}:${process.env.PATH}`,
      NIXVERSE_HOST_ROOT: target,
      NIXVERSE_BUILD_ROOT: builder,
      STANDIN_ACTIVATION_LOG: activations,
    };
    try {
      const r = spawnSync(
        "bash",
        [path.join(fleet, "nixverse/run.sh"), "node", "deploy", "--json", "bh", "ch", "@edge"],
        { cwd: fleet, encoding: "utf8", env },
      );
      expect(r.status, r.stderr).toBe(0);
      const nodes = (JSON.parse(r.stdout) as { nodes: { node: string; storePath: string }[] })
        .nodes;
      const out = Object.fromEntries(nodes.map((n) => [n.node, n.storePath]));
      expect(Object.keys(out).sort()).toEqual(["bh1", "bh2", "bot", "ch1", "ch2"]);
      const inStore = (root: string | null, p: string) =>
        root === null
          ? spawnSync("nix", ["path-info", p], { env: nixEnv() }).status === 0
          : existsSync(path.join(root, p));
      // every node switched once to its closure, which is in the target's store
      const lines = readFileSync(activations, "utf8").split("\n").filter(Boolean);
      expect(lines.sort()).toEqual(
        Object.entries(out)
          .map(([n, p]) => `${n} switch-to-configuration switch ${p}`)
          .sort(),
      );
      for (const p of Object.values(out)) expect(inStore(target, p)).toBe(true);
      // built where meta says: bh* on the builder, bot on the target, ch* here
      for (const n of ["bh1", "bh2"]) {
        expect(inStore(builder, out[n]!)).toBe(true);
        expect(inStore(null, out[n]!)).toBe(false);
      }
      expect(inStore(builder, out.bot!)).toBe(false);
      expect(inStore(null, out.bot!)).toBe(false);
      for (const n of ["ch1", "ch2"]) {
        expect(inStore(null, out[n]!)).toBe(true);
        const hash = path.basename(out[n]!).slice(0, 32);
        expect(existsSync(path.join(cache, `${hash}.narinfo`))).toBe(true);
      }

      // Counted through the PATH wrapper (the targets' own nix runs over ssh, outside it):
      const argvs = readFileSync(path.join(work, "nix-calls"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\x1f").filter(Boolean));
      const sub = (a: string[]) => a.find((w) => SUBCOMMANDS.has(w));
      const builds = argvs.filter((a) => sub(a) === "build");
      const storeOf = (a: string[]) => a[a.indexOf("--store") + 1] ?? "";
      // one nix build on the builder for bh1+bh2, one here for ch1+ch2, one on bot's target
      expect(builds).toHaveLength(3);
      const onBuilder = builds.filter((a) => storeOf(a).includes(builder));
      expect(onBuilder).toHaveLength(1);
      expect(onBuilder[0]!.filter((w) => w.endsWith(".drv^out"))).toHaveLength(2);
      expect(onBuilder[0]).toContain("--eval-store");
      const local = builds.filter((a) => !a.includes("--store"));
      expect(local).toHaveLength(1);
      expect(local[0]!.filter((w) => w.endsWith(".drv^out"))).toHaveLength(2);
      const onTarget = builds.filter((a) => storeOf(a).includes(target));
      expect(onTarget).toHaveLength(1);
      expect(storeOf(onTarget[0]!)).toMatch(/^ssh-ng:\/\/root@127\.0\.0\.1\?remote-store=/);
      // copies: bh1 and bh2 from the builder to the target, and ONE upload to the cache for both
      // ch nodes (their targets fetch from the cache themselves); nothing for bot
      const copies = argvs.filter((a) => sub(a) === "copy");
      const fromBuilder = copies.filter((a) => a[a.indexOf("--from") + 1]?.startsWith("ssh-ng://"));
      expect(fromBuilder.map((a) => a.at(-1)).sort()).toEqual([out.bh1, out.bh2].sort());
      const toCache = copies.filter((a) => a[a.indexOf("--to") + 1] === `file://${cache}`);
      expect(toCache).toHaveLength(1);
      expect(toCache[0]!.slice(-2).sort()).toEqual([out.ch1, out.ch2].sort());
      expect(copies).toHaveLength(3);
      // the one evaluator (the other eval is the plan)
      expect(argvs.filter((a) => sub(a) === "eval")).toHaveLength(2);
    } finally {
      for (const d of [builder, target]) {
        spawnSync("chmod", ["-R", "u+w", d]);
        rmSync(d, { recursive: true, force: true });
      }
    }
  });
});
