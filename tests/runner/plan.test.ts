// runtime-nix/plan.nix evaluated by Nix over hand-written fleet data and meta: name
// resolution and the exact argv/env of every command for each meta combination (SPEC §7,
// NIXVERSE-REFERENCE §7.3 and §12 "Deploy"/"Install").

import { describe, expect, it } from "vitest";
import { evalPlan, hasNix, type Meta, type PlanData, type PlanRequest } from "./support.js";

const nix = hasNix();
if (!nix) console.log("SKIPPED: plan.nix tests: nix-instantiate is not installed");

const F = "/src/fleet";
// The runner's ssh keepalive, after a node's own sshOpts (ssh takes the first value given).
const KA = "-o ServerAliveInterval=15 -o ServerAliveCountMax=4";
const KA_ARGV = ["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"];

const data: PlanData = {
  hasPrivate: false,
  nodes: {
    web1: { dir: "nodes/web/web1", os: "nixos", groups: ["web", "servers"] },
    web2: {
      dir: "nodes/web/web2",
      os: "nixos",
      groups: ["web", "servers"],
      diskConfig: ["disk-config.nix"],
    },
    db: { dir: "nodes/db", os: "nixos", groups: ["servers"], diskConfig: ["disk-config.nix"] },
    mac: { dir: "nodes/mac", os: "darwin" },
    mini: { dir: "nodes/mini", os: "darwin" },
    lap: { dir: "nodes/lap", os: "nixos" },
  },
  groups: {
    web: { dir: "nodes/web", nodes: ["web1", "web2"], descendants: ["web2", "web1"] },
    servers: {
      dir: "nodes/servers",
      nodes: ["db", "web1", "web2"],
      descendants: ["web", "db", "web1", "web2"],
    },
  },
};

const meta: Meta = {
  web1: {
    os: "nixos",
    deploy: {
      targetHost: "root@10.0.0.1",
      buildOnRemote: true,
      useSubstitutes: true,
      useRemoteSudo: true,
      sshOpts: ["Port=2222", "StrictHostKeyChecking=no"],
    },
    install: {
      targetHost: null,
      buildOnRemote: true,
      useSubstitutes: true,
      sshOpts: ["Port=2222"],
    },
  },
  web2: {
    os: "nixos",
    deploy: {
      targetHost: "web2.lan",
      buildOnRemote: false,
      useSubstitutes: false,
      useRemoteSudo: false,
      sshOpts: [],
    },
    install: {
      targetHost: "root@192.168.1.9",
      buildOnRemote: false,
      useSubstitutes: false,
      sshOpts: ["User=root", "ProxyJump=jump host"],
    },
  },
  db: {
    os: "nixos",
    deploy: {
      targetHost: null,
      buildOnRemote: true,
      useSubstitutes: true,
      useRemoteSudo: false,
      sshOpts: [],
    },
    install: { targetHost: "root@db", buildOnRemote: false, useSubstitutes: true, sshOpts: [] },
  },
  mac: {
    os: "darwin",
    deploy: {
      targetHost: null,
      buildOnRemote: false,
      useSubstitutes: false,
      useRemoteSudo: false,
      sshOpts: [],
    },
    install: { targetHost: null, buildOnRemote: false, useSubstitutes: false, sshOpts: [] },
  },
  mini: {
    os: "darwin",
    deploy: {
      targetHost: "admin@mini",
      buildOnRemote: false,
      useSubstitutes: false,
      useRemoteSudo: true,
      sshOpts: ["Port=22"],
    },
    install: { targetHost: "admin@mini", buildOnRemote: false, useSubstitutes: false, sshOpts: [] },
  },
  lap: {
    os: "nixos",
    deploy: {
      targetHost: null,
      buildOnRemote: false,
      useSubstitutes: false,
      useRemoteSudo: false,
      sshOpts: [],
    },
    install: { targetHost: null, buildOnRemote: false, useSubstitutes: false, sshOpts: [] },
  },
};

function plan(
  req: Omit<PlanRequest, "flakeDir"> & { flakeDir?: string },
  m: Meta = meta,
  d: PlanData = data,
) {
  const r = evalPlan(d, m, { flakeDir: F, ...req });
  if (!r.ok) throw new Error(r.error);
  return r.plan;
}
function job(p: any, node: string) {
  return p.jobs.find((j: any) => j.node === node);
}
function runSteps(p: any, node: string) {
  return job(p, node).steps.filter((s: any) => s.kind === "run");
}

describe.skipIf(!nix)("plan.nix: names", () => {
  it("expands groups to their nodes, sorted and unique", () => {
    expect(plan({ action: "build", names: ["servers", "web", "mac", "db"] }).nodes).toEqual([
      "db",
      "mac",
      "web1",
      "web2",
    ]);
  });
  it("selects without evaluating: @all, globs over nodes and groups, !exclusions", () => {
    const names = (...n: string[]) => plan({ action: "build", names: n }).nodes;
    expect(names("@all")).toEqual(["db", "lap", "mac", "mini", "web1", "web2"]);
    expect(names("web*")).toEqual(["web1", "web2"]);
    expect(names("m*")).toEqual(["mac", "mini"]);
    expect(names("serv*")).toEqual(["db", "web1", "web2"]); // a group glob: its nodes
    expect(names("web?", "db")).toEqual(["db", "web1", "web2"]);
    expect(names("servers", "!web2")).toEqual(["db", "web1"]);
    expect(names("!web", "!m*")).toEqual(["db", "lap"]); // only exclusions: from all nodes
    expect(plan({ action: "build", names: ["web", "!web*"] }).error).toBe(
      "No nodes selected: web !web* leaves none",
    );
    expect(plan({ action: "build", names: ["x*"] }).error).toBe(
      "No node or group matches x*; nodes: db, lap, mac, mini, web1, web2; groups: servers, web",
    );
  });
  it("@tag: the nodes whose tags (fleet data, from meta) list it; an unknown tag lists the known ones", () => {
    const tagged: PlanData = {
      ...data,
      nodes: {
        ...data.nodes,
        web1: { ...data.nodes.web1!, tags: ["eu", "web"] },
        db: { ...data.nodes.db!, tags: ["eu"] },
        mac: { ...data.nodes.mac!, tags: ["desk"] },
      },
    };
    const names = (...n: string[]) => plan({ action: "build", names: n }, meta, tagged);
    expect(names("@eu").nodes).toEqual(["db", "web1"]);
    expect(names("@eu", "@desk", "!db").nodes).toEqual(["mac", "web1"]);
    expect(names("web", "!@web").nodes).toEqual(["web2"]);
    expect(names("@us").error).toBe("Unknown tag @us; tags: @desk, @eu, @web");
    expect(plan({ action: "build", names: ["@eu"] }).error).toBe(
      'Unknown tag @eu; no node has tags (meta: tags = [ "web" ];)',
    );
  });
  it("an unknown name lists the known ones and the closest match, as a message (no Nix trace)", () => {
    const p = plan({ action: "build", names: ["web1", "wbe1"] });
    expect(p.error).toBe(
      "Unknown node wbe1 (did you mean web1?); nodes: db, lap, mac, mini, web1, web2; groups: servers, web",
    );
    expect(plan({ action: "build", names: ["srevers"] }).error).toContain(
      "Unknown node srevers (did you mean servers?); nodes:",
    );
    expect(plan({ action: "build", names: ["!zzzzzz"] }).error).toContain(
      "Unknown node zzzzzz; nodes:",
    );
  });
  it("refuses two local nodes in one deploy, but allows them for --dry-run and build", () => {
    expect(plan({ action: "deploy", names: ["db", "lap"] }).error).toBe(
      'Deploying multiple local nodes in parallel is not allowed: db, lap have no deploy.targetHost; set deploy.targetHost = "root@<host>"; in their meta (node.nix, or the member\'s entry in its group.nix), or deploy one of them at a time',
    );
    expect(plan({ action: "deploy", mode: "build", names: ["db", "lap"] }).nodes).toEqual([
      "db",
      "lap",
    ]);
    expect(plan({ action: "build", names: ["db", "lap"] }).nodes).toEqual(["db", "lap"]);
  });
  it("targets the resolved nodes for the user Makefile and declares every node and group", () => {
    const p = plan({ action: "build", names: ["web"] });
    expect(p.makeTargets).toEqual(["nodes/web1", "nodes/web2"]);
    expect(p.userMk).toContain(
      "# node web1\n.PHONY: nodes/web1\nnode_web1_os := nixos\nnode_web1_channel := unstable\n",
    );
    expect(p.userMk).toContain("node_mac_os := darwin\n");
    expect(p.userMk).toContain(
      "# group servers\n.PHONY: nodes/servers\nnodes/servers: nodes/db nodes/web nodes/web1 nodes/web2\ngroup_servers_nodes := db web1 web2\n",
    );
  });
});

describe.skipIf(!nix)("plan.nix: deploy argv", () => {
  it("nixos with every deploy option", () => {
    const p = plan({ action: "deploy", names: ["web1"] });
    const [s] = runSteps(p, "web1");
    expect(s.argv).toEqual([
      "nixos-rebuild",
      "switch",
      "--flake",
      `${F}#web1`,
      "--target-host",
      "root@10.0.0.1",
      "--build-host",
      "root@10.0.0.1",
      "--use-substitutes",
      "--use-remote-sudo",
    ]);
    expect(s.env).toEqual({ NIX_SSHOPTS: `-o Port=2222 -o StrictHostKeyChecking=no ${KA}` });
    // host files go first, over ssh with the same options, with sudo like the activation
    expect(job(p, "web1").steps[0]).toMatchObject({
      kind: "hostFiles",
      argv: [
        "ssh",
        "-o",
        "Port=2222",
        "-o",
        "StrictHostKeyChecking=no",
        ...KA_ARGV,
        "--",
        "root@10.0.0.1",
      ],
      sudo: true,
    });
  });
  it("nixos with no options, and the flake ref when it differs from the dir", () => {
    const p = plan({ action: "deploy", names: ["web2"], flakeRef: `path:${F}` });
    expect(runSteps(p, "web2")[0].argv).toEqual([
      "nixos-rebuild",
      "switch",
      "--flake",
      `path:${F}#web2`,
      "--target-host",
      "web2.lan",
    ]);
    expect(runSteps(p, "web2")[0].env).toEqual({ NIX_SSHOPTS: KA });
  });
  it("local nixos: no host flags even with buildOnRemote/useSubstitutes; host files copied locally", () => {
    const p = plan({ action: "deploy", names: ["db"] });
    expect(runSteps(p, "db")[0].argv).toEqual(["nixos-rebuild", "switch", "--flake", `${F}#db`]);
    expect(job(p, "db").steps[0]).toMatchObject({ kind: "hostFiles", argv: [], root: true });
  });
  it("--dry-run builds, copies nothing", () => {
    const p = plan({ action: "deploy", mode: "build", names: ["web1", "mac"] });
    expect(runSteps(p, "web1")[0].argv.slice(0, 2)).toEqual(["nixos-rebuild", "build"]);
    expect(job(p, "web1").steps.map((s: any) => s.kind)).toEqual(["run"]);
    expect(job(p, "web1").hostFiles).toBeNull();
    expect(job(p, "mac").steps).toEqual([
      {
        kind: "run",
        argv: ["darwin-rebuild", "build", "--flake", `${F}#mac`],
        env: {},
        root: false,
      },
    ]);
  });
  it("--ephemeral tests; darwin nodes get an error of their own", () => {
    const p = plan({ action: "deploy", mode: "test", names: ["web2", "mac"] });
    expect(runSteps(p, "web2")[0].argv.slice(0, 2)).toEqual(["nixos-rebuild", "test"]);
    expect(job(p, "mac").error).toContain("--ephemeral is only supported for NixOS nodes");
    expect(job(p, "mac").steps).toEqual([]);
  });
  it("--reboot: boot, then reboot over ssh and wait with a bounded timeout", () => {
    const p = plan({ action: "deploy", mode: "reboot", names: ["web1"], rebootTimeout: 120 });
    expect(job(p, "web1").steps.map((s: any) => s.kind)).toEqual(["hostFiles", "run", "reboot"]);
    expect(runSteps(p, "web1")[0].argv.slice(0, 2)).toEqual(["nixos-rebuild", "boot"]);
    expect(job(p, "web1").steps[2]).toMatchObject({
      argv: [
        "ssh",
        "-o",
        "Port=2222",
        "-o",
        "StrictHostKeyChecking=no",
        ...KA_ARGV,
        "--",
        "root@10.0.0.1",
      ],
      sudo: true,
      timeout: 120,
    });
    const local = plan({ action: "deploy", mode: "reboot", names: ["lap"] });
    expect(job(local, "lap").steps.at(-1)).toMatchObject({
      kind: "run",
      argv: ["reboot"],
      root: true,
    });
  });
  it("local darwin: darwin-rebuild switch as root", () => {
    const p = plan({ action: "deploy", names: ["mac"] });
    expect(runSteps(p, "mac")).toEqual([
      {
        kind: "run",
        argv: ["darwin-rebuild", "switch", "--flake", `${F}#mac`],
        env: {},
        root: true,
      },
    ]);
  });
  it("remote darwin: flake archived to the host, darwin-rebuild run there over ssh", () => {
    const p = plan({ action: "deploy", names: ["mini"] });
    const steps = job(p, "mini").steps;
    expect(steps.map((s: any) => s.kind)).toEqual(["hostFiles", "archive", "run"]);
    expect(steps[1].argv).toEqual([
      "nix",
      "flake",
      "archive",
      "--json",
      "--to",
      "ssh://admin@mini",
      F,
    ]);
    expect(steps[1].env).toEqual({ NIX_SSHOPTS: `-o Port=22 ${KA}` });
    expect(steps[2].argv).toEqual([
      "ssh",
      "-o",
      "Port=22",
      ...KA_ARGV,
      "--",
      "admin@mini",
      "sudo",
      "darwin-rebuild",
      "switch",
      "--flake",
      "@source@#mini",
    ]);
  });
  it("remote darwin switch: sudo for every SSH user but root, even without useRemoteSudo", () => {
    const as = (targetHost: string, useRemoteSudo: boolean, mode: string | null = null) => {
      const m = {
        ...meta,
        mini: {
          ...(meta.mini as object),
          deploy: { ...(meta.mini as any).deploy, targetHost, useRemoteSudo },
        },
      };
      const steps = job(plan({ action: "deploy", names: ["mini"], mode }, m), "mini").steps;
      const argv: string[] = steps.at(-1).argv;
      return argv.slice(argv.indexOf("--") + 1, argv.indexOf("--") + 3);
    };
    expect(as("admin@mini", false)).toEqual(["admin@mini", "sudo"]);
    expect(as("mini", false)).toEqual(["mini", "sudo"]);
    expect(as("root@mini", false)).toEqual(["root@mini", "darwin-rebuild"]);
    expect(as("root@mini", true)).toEqual(["root@mini", "sudo"]);
    // --dry-run only builds: no root needed
    expect(as("admin@mini", false, "build")).toEqual(["admin@mini", "darwin-rebuild"]);
  });
  it("quotes an ssh option with spaces in NIX_SSHOPTS", () => {
    const m = {
      ...meta,
      web2: {
        ...(meta.web2 as object),
        deploy: { targetHost: "h", sshOpts: ["ProxyCommand=ssh -W %h:%p j"] },
      },
    };
    const p = plan({ action: "deploy", names: ["web2"] }, m);
    expect(runSteps(p, "web2")[0].env.NIX_SSHOPTS).toBe(`-o 'ProxyCommand=ssh -W %h:%p j' ${KA}`);
  });
});

// Issue 11 item 7: one half-made machine never stops the others' deploys.
describe.skipIf(!nix)("plan.nix: an incomplete node fails alone", () => {
  const withBroken: PlanData = {
    ...data,
    nodes: {
      ...data.nodes,
      half: {
        dir: "nodes/half",
        os: "nixos",
        broken:
          "nodes/half/host.nix:1:1: Missing required meta configuration `channel` for host `half`",
        groups: ["web"],
      },
      bare: {
        dir: "nodes/bare",
        os: "nixos",
        unbuildable: "nodes/bare/node.nix: Missing nodes/bare/configuration.nix",
      },
    },
    groups: { ...data.groups, web: { dir: "nodes/web", nodes: ["half", "web1", "web2"] } },
  };
  // Reading their meta would throw, as the generated flake's does.
  const metaWithBroken: Meta = {
    ...meta,
    half: "throw",
    bare: "throw",
  };
  const planOf = (req: Omit<PlanRequest, "flakeDir">) => {
    const r = evalPlan(withBroken, metaWithBroken, { ...req, flakeDir: F });
    if (!r.ok) throw new Error(r.error);
    return r.plan;
  };
  it("deploy of its group: its job is its reason, the others are planned", () => {
    const p = planOf({ action: "deploy", names: ["web", "bare"] });
    const byNode = Object.fromEntries(p.jobs.map((j: any) => [j.node, j]));
    expect(byNode.half.error).toContain(
      "Missing required meta configuration `channel` for host `half`",
    );
    expect(byNode.half.steps).toEqual([]);
    expect(byNode.bare.error).toContain("Missing nodes/bare/configuration.nix");
    expect(byNode.web1.error).toBeNull();
    expect(byNode.web1.steps.length).toBeGreaterThan(0);
  });
  it("build: left out of the evaluate-and-build stages and of the ssh probes", () => {
    const p = planOf({ action: "build", names: ["web"] });
    const byNode = Object.fromEntries(p.jobs.map((j: any) => [j.node, j]));
    expect(byNode.half).toMatchObject({ stages: false, probe: [], steps: [] });
    expect(byNode.half.error).toContain("for host `half`");
    expect(byNode.web1.stages).toBe(true);
  });
});

describe.skipIf(!nix)("plan.nix: build and install", () => {
  it("build: every node goes through the stages (one evaluation, one nix build), no steps", () => {
    const p = plan({ action: "build", names: ["web", "mac"] });
    expect(p.jobs.map((j: any) => [j.node, j.stages, j.steps, j.probe])).toEqual([
      ["mac", true, [], []],
      ["web1", true, [], []],
      ["web2", true, [], []],
    ]);
  });
  it("install: one nixos-anywhere run when the flake already imports the node's hardware-configuration.nix", () => {
    const d = {
      ...data,
      nodes: {
        ...data.nodes,
        web2: {
          ...data.nodes.web2!,
          hardware: ["/nix/store/x-source/nodes/web/web2/hardware-configuration.nix"],
        },
      },
    };
    const p = plan({ action: "install", names: ["web2"] }, meta, d);
    expect(job(p, "web2").steps.map((s: any) => s.kind)).toEqual(["run", "gitAdd"]);
    expect(runSteps(p, "web2")[0].argv).toEqual([
      "nixos-anywhere",
      "--flake",
      `${F}#web2`,
      "--generate-hardware-config",
      "nixos-generate-config",
      `${F}/nodes/web/web2/hardware-configuration.nix`,
      "--build-on",
      "local",
      "--no-substitute-on-destination",
      "@extraFiles@",
      "--ssh-option",
      "User=root",
      "--ssh-option",
      "ProxyJump=jump host",
      "root@192.168.1.9",
    ]);
    expect(job(p, "web2").steps[1]).toMatchObject({
      kind: "gitAdd",
      argv: [`${F}/nodes/web/web2/hardware-configuration.nix`],
    });
  });
  it("first install: kexec + hardware detection, git add -N, regenerate, then disko/install/reboot", () => {
    const p = plan({ action: "install", names: ["web2", "db"] });
    const hw = `${F}/nodes/db/hardware-configuration.nix`;
    expect(job(p, "db").steps.map((s: any) => [s.kind, s.argv])).toEqual([
      [
        "run",
        [
          "nixos-anywhere",
          "--flake",
          `${F}#db`,
          "--phases",
          "kexec",
          "--generate-hardware-config",
          "nixos-generate-config",
          hw,
          "root@db",
        ],
      ],
      ["gitAdd", [hw]],
      ["regenerate", []],
      [
        "run",
        [
          "nixos-anywhere",
          "--flake",
          `${F}#db`,
          "--phases",
          "disko,install,reboot",
          "--build-on",
          "local",
          "@extraFiles@",
          "root@db",
        ],
      ],
    ]);
    // ssh options reach both runs
    const [kexec, install] = runSteps(p, "web2");
    expect(kexec.argv.slice(-5)).toEqual([
      "--ssh-option",
      "User=root",
      "--ssh-option",
      "ProxyJump=jump host",
      "root@192.168.1.9",
    ]);
    expect(install.argv.slice(5)).toEqual([
      "--build-on",
      "local",
      "--no-substitute-on-destination",
      "@extraFiles@",
      "--ssh-option",
      "User=root",
      "--ssh-option",
      "ProxyJump=jump host",
      "root@192.168.1.9",
    ]);
  });
  it("install errors: darwin, no disk-config, no target host (per node, others still planned)", () => {
    const p = plan({ action: "install", names: ["mac", "web1", "lap", "db"] });
    expect(job(p, "mac").error).toContain("Deploy to the darwin node mac directly");
    expect(job(p, "web1").error).toBe(
      "Missing disk-config.nix for node web1: nixos-anywhere needs a disko configuration in nodes/web/web1/disk-config.nix",
    );
    const d = {
      ...data,
      nodes: {
        ...data.nodes,
        lap: { dir: "nodes/lap", os: "nixos" as const, diskConfig: ["d.nix"] },
      },
    };
    expect(job(plan({ action: "install", names: ["lap"] }, meta, d), "lap").error).toContain(
      "Missing meta configuration install.targetHost for node lap",
    );
    expect(job(p, "db").error).toBeNull();
  });
  it("install.buildOnRemote → --build-on remote; install.targetHost defaults to deploy.targetHost", () => {
    const m = {
      ...meta,
      web2: {
        os: "nixos",
        deploy: { targetHost: "root@web2" },
        install: { buildOnRemote: true, useSubstitutes: true },
      },
    };
    const argv = runSteps(plan({ action: "install", names: ["web2"] }, m), "web2")[1].argv;
    expect(argv.slice(5, 7)).toEqual(["--build-on", "remote"]);
    expect(argv).not.toContain("--no-substitute-on-destination");
    expect(argv.at(-1)).toBe("root@web2");
  });
});

describe.skipIf(!nix)("plan.nix: host file sources", () => {
  it("node dir first, then group commons sorted; private secret > secret > private plain > plain", () => {
    const p = plan({ action: "deploy", names: ["web1"] }, meta, { ...data, hasPrivate: true });
    expect(
      job(p, "web1").hostFiles.sources.map((s: any) => `${s.secret ? "S" : "P"} ${s.dir}`),
    ).toEqual([
      "S private/nodes/web/web1/secrets/fs",
      "S nodes/web/web1/secrets/fs",
      "P private/nodes/web/web1/fs",
      "P nodes/web/web1/fs",
      "S private/nodes/servers/common/secrets/fs",
      "S nodes/servers/common/secrets/fs",
      "P private/nodes/servers/common/fs",
      "P nodes/servers/common/fs",
      "S private/nodes/web/common/secrets/fs",
      "S nodes/web/common/secrets/fs",
      "P private/nodes/web/common/fs",
      "P nodes/web/common/fs",
    ]);
    expect(job(p, "web1").hostFiles.hostKey).toEqual([
      "private/nodes/web/web1/secrets/fs/etc/ssh/ssh_host_ed25519_key",
      "nodes/web/web1/secrets/fs/etc/ssh/ssh_host_ed25519_key",
    ]);
  });
});

describe.skipIf(!nix)("plan.nix: deploy.method = copy (the default)", () => {
  const copyMeta = (deploy: Record<string, unknown>, os = "nixos"): Meta => ({
    web1: { os, deploy: { method: "copy", ...deploy } },
  });
  const one = (deploy: Record<string, unknown>, req: Partial<PlanRequest> = {}, os = "nixos") =>
    job(plan({ action: "deploy", names: ["web1"], ...req }, copyMeta(deploy, os)), "web1");
  const ssh = ["ssh", "-o", "Port=2222", ...KA_ARGV, "--", "root@h"];

  it("switch: probe, host files, nix copy, profile, switch-to-configuration through systemd-run", () => {
    const j = one({
      targetHost: "root@h",
      sshOpts: ["Port=2222"],
      useSubstitutes: true,
      useRemoteSudo: true,
    });
    expect(j.stages).toBe(true);
    expect(j.probe).toEqual(ssh);
    expect(j.steps.map((s: any) => [s.kind, s.stage ?? null])).toEqual([
      ["hostFiles", null],
      ["run", "copy"],
      ["run", "profile"],
      ["activate", "activate"],
    ]);
    expect(j.steps[1].argv).toEqual([
      "nix",
      "copy",
      "--to",
      "ssh://root@h",
      "--substitute-on-destination",
      "@out@",
    ]);
    expect(j.steps[1].env).toEqual({ NIX_SSHOPTS: `-o Port=2222 ${KA}` });
    expect(j.steps[2].argv).toEqual([
      ...ssh,
      "sudo nix-env -p /nix/var/nix/profiles/system --set @out@",
    ]);
    const act = j.steps[3].argv.at(-1) as string;
    expect(j.steps[3].argv.slice(0, -1)).toEqual(ssh);
    expect(act).toMatch(
      /^sudo sh -c '.*systemd-run .*--wait "\$@"; fi; exec "\$@"' nixverse-activate @out@\/bin\/switch-to-configuration switch$/,
    );
  });
  it("goals: boot sets the profile, test and dry-activate do not, build only builds", () => {
    const kinds = (mode: string) =>
      one({ targetHost: "root@h" }, { mode }).steps.map((s: any) => s.stage ?? s.kind);
    expect(kinds("boot")).toEqual(["hostFiles", "copy", "profile", "activate"]);
    expect(kinds("test")).toEqual(["hostFiles", "copy", "activate"]);
    expect(kinds("dry-activate")).toEqual(["hostFiles", "copy", "activate"]);
    expect(kinds("reboot")).toEqual(["hostFiles", "copy", "profile", "activate", "reboot"]);
    const build = one({ targetHost: "root@h" }, { mode: "build" });
    expect([build.steps, build.probe, build.stages]).toEqual([[], [], true]);
    expect(
      one({ targetHost: "root@h" }, { mode: "dry-activate" }).steps.at(-1).argv.at(-1),
    ).toMatch(/switch-to-configuration dry-activate$/);
  });
  it("local node: no copy, no probe; profile and activation as root here", () => {
    const j = one({});
    expect(j.probe).toEqual([]);
    expect(j.steps.map((s: any) => [s.stage ?? s.kind, s.root])).toEqual([
      ["hostFiles", true],
      ["profile", true],
      ["activate", true],
    ]);
    expect(j.steps[1].argv).toEqual([
      "nix-env",
      "-p",
      "/nix/var/nix/profiles/system",
      "--set",
      "@out@",
    ]);
  });
  it("a target root (tests): the chroot store there, its profile and its copy of the closure", () => {
    const j = one({ targetHost: "root@h" }, { targetRoot: "/t" } as Partial<PlanRequest>);
    expect(j.steps[1].argv).toEqual([
      "nix",
      "copy",
      "--to",
      "ssh://root@h?remote-store=local%3Froot%3D/t",
      "@out@",
    ]);
    expect(j.steps[2].argv.at(-1)).toBe(
      "nix-env --store 'local?root=/t' -p /t/nix/var/nix/profiles/system --set @out@",
    );
    expect(j.steps[3].argv.at(-1)).toMatch(
      / nixverse-activate \/t@out@\/bin\/switch-to-configuration switch$/,
    );
  });
  it("darwin: profile, then the system's activate; other goals are refused", () => {
    const j = one({ targetHost: "admin@mac" }, {}, "darwin");
    expect(j.steps.map((s: any) => s.stage ?? s.kind)).toEqual([
      "hostFiles",
      "copy",
      "profile",
      "activate",
    ]);
    expect(j.steps[3].argv.at(-1)).toMatch(/exec "\$1\/activate"' nixverse-activate @out@$/);
    expect(one({ targetHost: "admin@mac" }, { mode: "boot" }, "darwin").error).toContain(
      "--boot is only supported for NixOS nodes",
    );
  });
  it("deploy.buildHost: built there (build stage), copied from it to the target over ssh-ng", () => {
    const j = one(
      { targetHost: "root@h", buildHost: "nix@b", sshOpts: ["Port=2222"] },
      { buildRoot: "/b" },
    );
    expect(j.build).toEqual({
      at: "builder",
      store: "ssh-ng://nix@b?remote-store=local%3Froot%3D/b",
      sshOpts: `-o Port=2222 ${KA}`,
      cache: "",
    });
    expect(j.steps.map((s: any) => s.stage ?? s.kind)).toEqual([
      "hostFiles",
      "copy",
      "profile",
      "activate",
    ]);
    expect(j.steps[1].argv).toEqual([
      "nix",
      "copy",
      "--from",
      "ssh-ng://nix@b?remote-store=local%3Froot%3D/b",
      "--to",
      "ssh://root@h",
      "@out@",
    ]);
    // a local node built on the builder gets its closure into this machine's store
    expect(one({ buildHost: "nix@b" }).steps[1].argv).toEqual([
      "nix",
      "copy",
      "--from",
      "ssh-ng://nix@b",
      "--to",
      "auto",
      "@out@",
    ]);
  });
  it("deploy.buildOnTarget: a step builds the derivation on the target; nothing is copied", () => {
    const j = one({ targetHost: "root@h", buildOnTarget: true });
    expect(j.build.at).toBe("target");
    expect(j.steps.map((s: any) => s.stage ?? s.kind)).toEqual([
      "hostFiles",
      "build",
      "profile",
      "activate",
    ]);
    expect(j.steps[1].argv).toEqual([
      "nix",
      "build",
      "--no-link",
      "--store",
      "ssh-ng://root@h",
      "--eval-store",
      "auto",
      "@drv@^out",
    ]);
    // --goal build runs no steps: the build stage builds it here then
    expect(one({ targetHost: "root@h", buildOnTarget: true }, { mode: "build" }).build.at).toBe(
      "deployer",
    );
  });
  it("deploy.cache: pushed by the build stage, the target fetches its closure from the cache", () => {
    const j = one({ targetHost: "root@h", cache: "file:///srv/cache" }, { targetRoot: "/t" });
    expect(j.build.cache).toBe("file:///srv/cache");
    expect(j.steps.map((s: any) => s.stage ?? s.kind)).toEqual([
      "hostFiles",
      "copy",
      "profile",
      "activate",
    ]);
    expect(j.steps[1].argv).toEqual([
      "ssh",
      ...KA_ARGV,
      "--",
      "root@h",
      "nix --extra-experimental-features nix-command copy --from file:///srv/cache --to 'local?root=/t' @out@",
    ]);
  });
  it("deploy.buildHost/buildOnTarget/cache: conflicting or unusable combinations are the node's error", () => {
    expect(one({ targetHost: "root@h", buildOnTarget: true, buildHost: "b" }).error).toBe(
      "web1 sets deploy.buildOnTarget together with deploy.buildHost: a node is built in one place; choose one",
    );
    expect(one({ buildOnTarget: true }).error).toContain("has no deploy.targetHost");
    expect(one({ method: "nixos-rebuild", cache: "file:///c" }).error).toContain(
      'need deploy.method = "copy"',
    );
  });
  it("an unknown method is the node's error", () => {
    expect(one({ method: "rsync" }).error).toBe(
      'deploy.method of web1 is rsync; it must be "copy" or "nixos-rebuild"',
    );
  });
});
