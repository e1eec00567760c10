// The host-files step against a real sshd on 127.0.0.1 (TESTING.md "SSH on loopback"): the
// node's host key (decrypted with the master key), secrets/fs (decrypted with the node key) and
// fs/ files, git-tracked only, land under the target root with the right modes BEFORE the
// stand-in activation runs, and the decrypted tree does not outlive the run.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SSHD, freePort, waitForPort } from "../support/sshd.js";
import {
  hasNix,
  readCalls,
  renderRunner,
  repoRoot,
  standinBin,
  tmpDir,
  writePlanFile,
} from "./support.js";

const missing = !hasNix()
  ? "nix is not installed"
  : !existsSync(SSHD)
    ? "sshd is not installed (apt-get install -y openssh-server)"
    : spawnSync("ssh-keygen", ["-?"]).error
      ? "ssh-keygen is not installed"
      : process.getuid?.() !== 0
        ? "the loopback sshd test runs as root"
        : null;
if (missing) console.log(`SKIPPED: loopback sshd host-files test: ${missing}`);

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(missing !== null)("runner: host files over a real sshd", () => {
  let sshd: ChildProcess | undefined;
  let dir = "";
  let port = 0;
  let sshOpts: string[] = [];

  beforeAll(async () => {
    dir = tmpDir("nixverse-sshd-");
    port = await freePort();
    const k = (f: string) => path.join(dir, f);
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k("host_key")]);
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", k("client_key")]);
    writeFileSync(k("authorized_keys"), readFileSync(k("client_key.pub")));
    writeFileSync(
      k("sshd_config"),
      [
        "ListenAddress 127.0.0.1",
        `Port ${port}`,
        `HostKey ${k("host_key")}`,
        `PidFile ${k("sshd.pid")}`,
        `AuthorizedKeysFile ${k("authorized_keys")}`,
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "PermitRootLogin prohibit-password",
        "",
      ].join("\n"),
    );
    mkdirSync("/run/sshd", { recursive: true });
    sshd = spawn(SSHD, ["-D", "-e", "-f", k("sshd_config")], { stdio: "ignore" });
    await waitForPort(port);
    sshOpts = [
      `Port=${port}`,
      `IdentityFile=${k("client_key")}`,
      `UserKnownHostsFile=${k("known_hosts")}`,
      "StrictHostKeyChecking=accept-new",
      "BatchMode=yes",
    ];
  });
  afterAll(() => {
    if (sshd?.pid) process.kill(sshd.pid, "SIGTERM");
  });

  it("copies host key, decrypted secrets and tracked fs files before activation", () => {
    const fleet = path.join(dir, "fleet");
    const put = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(fleet, rel)), { recursive: true });
      writeFileSync(path.join(fleet, rel), text);
    };
    writeFileSync(
      path.join((mkdirSync(fleet, { recursive: true }), fleet), "flake.nix"),
      "{ outputs = _: { }; }\n",
    );
    const hostKey =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nfake-node-key\n-----END OPENSSH PRIVATE KEY-----\n";
    put(
      "nodes/web1/secrets/fs/etc/ssh/ssh_host_ed25519_key",
      `STANDIN-ENCRYPTED master\n${hostKey}`,
    );
    put("nodes/web1/fs/etc/ssh/ssh_host_ed25519_key.pub", "ssh-ed25519 AAAAfake web1\n");
    put("nodes/web1/secrets/fs/etc/app/token", "STANDIN-ENCRYPTED node:web1\ns3cret\n");
    put("nodes/web1/fs/etc/app/token", "plain text loses to the secret\n");
    put("nodes/web1/fs/etc/app/config", "port = 80\n");
    put("nodes/web1/fs/usr/local/bin/hello", "#!/bin/sh\necho hi\n");
    chmodSync(path.join(fleet, "nodes/web1/fs/usr/local/bin/hello"), 0o755);
    put("nodes/web/common/fs/etc/app/config", "group config loses to the node's\n");
    put("nodes/web/common/fs/etc/app/from-group", "group\n");
    put("nodes/web1/fs/etc/app/untracked", "never leaves the machine\n");
    const git = (...a: string[]) => spawnSync("git", ["-C", fleet, ...a], { encoding: "utf8" });
    git("init", "-q");
    git(
      "add",
      "nodes/web1/secrets",
      "nodes/web1/fs/etc/ssh",
      "nodes/web1/fs/etc/app/token",
      "nodes/web1/fs/etc/app/config",
    );
    git("add", "nodes/web1/fs/usr", "nodes/web/common");

    const target = path.join(dir, "target");
    mkdirSync(path.join(target, "etc"), { recursive: true });
    chmodSync(path.join(target, "etc"), 0o751); // an existing directory keeps its mode

    const work = tmpDir("nixverse-sshd-work-");
    const bin = standinBin(work, ["nixos-rebuild"]);
    symlinkSync(
      path.join(repoRoot, "tests/runner/fixtures/nixverse-gen-standin.sh"),
      path.join(bin, "nixverse-gen"),
    );
    const runner = renderRunner(work);
    const plan = writePlanFile(
      {
        nodes: { web1: { dir: "nodes/web1", os: "nixos", groups: ["web"] } },
        groups: { web: { dir: "nodes/web", nodes: ["web1"] } },
      },
      { web1: { os: "nixos", deploy: { targetHost: "root@127.0.0.1", sshOpts } } },
      { action: "deploy", names: ["web1"], flakeDir: fleet },
    );
    const runTmp = tmpDir("nixverse-sshd-tmp-");
    const log = path.join(work, "calls.log");
    const r = spawnSync("bash", [runner, "node", "deploy", "web1"], {
      cwd: fleet,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        FLAKE: fleet,
        TMPDIR: runTmp,
        NIXVERSE_PLAN_FILE: plan,
        NIXVERSE_HOST_ROOT: target,
        STANDIN_LOG: log,
        STANDIN_CHECK_FILE: path.join(target, "etc/ssh/ssh_host_ed25519_key"),
      },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // the key was on the host when the activation ran
    expect(readFileSync(`${log}.check`, "utf8")).toBe("nixos-rebuild\tweb1\tpresent\n");
    expect(readCalls(log)[0]!.argv).toEqual([
      "switch",
      "--flake",
      `${fleet}#web1`,
      "--target-host",
      "root@127.0.0.1",
    ]);
    const t = (rel: string) => path.join(target, rel);
    expect(readFileSync(t("etc/ssh/ssh_host_ed25519_key"), "utf8")).toBe(hostKey);
    expect(mode(t("etc/ssh/ssh_host_ed25519_key"))).toBe("600");
    expect(readFileSync(t("etc/ssh/ssh_host_ed25519_key.pub"), "utf8")).toBe(
      "ssh-ed25519 AAAAfake web1\n",
    );
    expect(mode(t("etc/ssh/ssh_host_ed25519_key.pub"))).toBe("644");
    expect(readFileSync(t("etc/app/token"), "utf8")).toBe("s3cret\n");
    expect(mode(t("etc/app/token"))).toBe("600");
    expect(readFileSync(t("etc/app/config"), "utf8")).toBe("port = 80\n");
    expect(mode(t("etc/app/config"))).toBe("644");
    expect(readFileSync(t("etc/app/from-group"), "utf8")).toBe("group\n");
    expect(mode(t("usr/local/bin/hello"))).toBe("755");
    expect(existsSync(t("etc/app/untracked"))).toBe(false);
    expect(mode(t("etc"))).toBe("751");
    expect(mode(t("etc/ssh"))).toBe("755");
    expect(statSync(t("etc/app/token")).uid).toBe(0);
    // nothing decrypted is left behind
    expect(readdirSync(runTmp)).toEqual([]);
  });

  it("a secret that cannot be decrypted fails the node before activation", () => {
    const fleet = path.join(dir, "fleet2");
    mkdirSync(path.join(fleet, "nodes/db/secrets/fs/etc"), { recursive: true });
    writeFileSync(path.join(fleet, "flake.nix"), "{ }\n");
    // encrypted to another node: the stand-in refuses it
    writeFileSync(
      path.join(fleet, "nodes/db/secrets/fs/etc/x"),
      "STANDIN-ENCRYPTED node:web1\nnope\n",
    );
    const work = tmpDir("nixverse-sshd-work-");
    const bin = standinBin(work, ["nixos-rebuild"]);
    symlinkSync(
      path.join(repoRoot, "tests/runner/fixtures/nixverse-gen-standin.sh"),
      path.join(bin, "nixverse-gen"),
    );
    const plan = writePlanFile(
      { nodes: { db: { dir: "nodes/db", os: "nixos" } } },
      { db: { os: "nixos", deploy: { targetHost: "root@127.0.0.1", sshOpts } } },
      { action: "deploy", names: ["db"], flakeDir: fleet },
    );
    const log = path.join(work, "calls.log");
    const r = spawnSync("bash", [renderRunner(work), "node", "deploy", "db"], {
      cwd: fleet,
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        FLAKE: fleet,
        NIXVERSE_PLAN_FILE: plan,
        STANDIN_LOG: log,
        NIXVERSE_HOST_ROOT: path.join(dir, "target2"),
      },
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("failed to decrypt nodes/db/secrets/fs/etc/x");
    expect(readCalls(log)).toEqual([]);
  });
});
