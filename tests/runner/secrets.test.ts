// Host files with real secrets: a fleet whose host key and secrets/fs file were made by
// `nixverse-gen secrets encrypt --node` (native sops, age master key), deployed locally by the
// runner, which decrypts them with the same nixverse-gen (NIXVERSE_GEN_JS, as `nixverse-gen node`
// sets it) into the target root before the stand-in activation.

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  hasNix,
  readCalls,
  renderRunner,
  repoRoot,
  standinBin,
  tmpDir,
  writePlanFile,
} from "./support.js";

const cliJs = path.join(repoRoot, "bin", "nixverse-gen.js");
const built = existsSync(path.join(repoRoot, "dist", "cli", "main.js"));
const missing = !hasNix()
  ? "nix is not installed"
  : !built
    ? "dist/ is not built (npm run build)"
    : spawnSync("age-keygen", ["--version"]).error
      ? "age-keygen is not installed"
      : spawnSync("ssh-keygen", ["-?"]).error
        ? "ssh-keygen is not installed"
        : null;
if (missing) console.log(`SKIPPED: runner with real sops secrets: ${missing}`);

const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

describe.skipIf(missing !== null)("runner: real secrets via nixverse-gen", () => {
  it("decrypts the host key (master key) and secrets/fs (node key) and installs them locally", () => {
    const dir = tmpDir("nixverse-secrets-");
    const fleet = path.join(dir, "fleet");
    mkdirSync(path.join(fleet, "nodes", "web1"), { recursive: true });
    spawnSync("age-keygen", ["-o", path.join(dir, "master.txt")]);
    const keys = readFileSync(path.join(dir, "master.txt"), "utf8");
    const pub = /age1[0-9a-z]+/.exec(keys)![0];
    const secret = /AGE-SECRET-KEY-[0-9A-Z]+/.exec(keys)![0];
    writeFileSync(
      path.join(fleet, "nodes/web1/node.nix"),
      '{ os = "nixos"; channel = "unstable"; }\n',
    );
    writeFileSync(path.join(fleet, "nodes/web1/configuration.nix"), "{ }\n");
    writeFileSync(path.join(fleet, ".sops.yaml"), `creation_rules:\n  - age: ${pub}\n`);
    writeFileSync(path.join(dir, "token.txt"), "s3cret-token\n");
    mkdirSync(path.join(fleet, "nodes/web1/secrets/fs/etc/app"), { recursive: true });
    const env = { ...process.env, SOPS_AGE_KEY: secret, FLAKE: fleet };
    const enc = spawnSync(
      process.execPath,
      [
        cliJs,
        "secrets",
        "encrypt",
        "--node",
        "web1",
        path.join(dir, "token.txt"),
        "-o",
        "nodes/web1/secrets/fs/etc/app/token",
      ],
      { cwd: fleet, env, encoding: "utf8" },
    );
    expect(enc.status, enc.stderr).toBe(0);
    const encrypted = readFileSync(path.join(fleet, "nodes/web1/secrets/fs/etc/app/token"), "utf8");
    expect(encrypted).not.toContain("s3cret-token");
    const git = (...a: string[]) => spawnSync("git", ["-C", fleet, ...a], { encoding: "utf8" });
    git("init", "-q");
    git("add", "nodes");

    const work = tmpDir("nixverse-secrets-work-");
    const bin = standinBin(work, ["nixos-rebuild"]);
    const target = path.join(dir, "target");
    mkdirSync(target);
    const plan = writePlanFile(
      { nodes: { web1: { dir: "nodes/web1", os: "nixos" } } },
      { web1: { os: "nixos", deploy: { targetHost: null } } },
      { action: "deploy", names: ["web1"], flakeDir: fleet },
    );
    const log = path.join(work, "calls.log");
    const r = spawnSync("bash", [renderRunner(work), "node", "deploy", "web1"], {
      cwd: fleet,
      encoding: "utf8",
      env: {
        ...env,
        PATH: `${bin}:${process.env.PATH}`,
        NIXVERSE_PLAN_FILE: plan,
        NIXVERSE_HOST_ROOT: target,
        NIXVERSE_GEN_JS: cliJs,
        NIXVERSE_NODE: process.execPath,
        STANDIN_LOG: log,
        STANDIN_CHECK_FILE: path.join(target, "etc/app/token"),
      },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(`${log}.check`, "utf8")).toBe("nixos-rebuild\tweb1\tpresent\n");
    expect(readCalls(log)[0]!.argv).toEqual(["switch", "--flake", `${fleet}#web1`]);
    const key = path.join(target, "etc/ssh/ssh_host_ed25519_key");
    expect(mode(key)).toBe("600");
    // the decrypted private key matches the committed public key
    const derived = spawnSync("ssh-keygen", ["-y", "-f", key], { encoding: "utf8" })
      .stdout.trim()
      .split(" ")
      .slice(0, 2);
    const committed = readFileSync(
      path.join(fleet, "nodes/web1/fs/etc/ssh/ssh_host_ed25519_key.pub"),
      "utf8",
    )
      .trim()
      .split(" ")
      .slice(0, 2);
    expect(derived).toEqual(committed);
    expect(readFileSync(path.join(target, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8")).toBe(
      readFileSync(path.join(fleet, "nodes/web1/fs/etc/ssh/ssh_host_ed25519_key.pub"), "utf8"),
    );
    expect(readFileSync(path.join(target, "etc/app/token"), "utf8")).toBe("s3cret-token\n");
    expect(mode(path.join(target, "etc/app/token"))).toBe("600");
  });
});
