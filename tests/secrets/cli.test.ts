// The `secrets` command's surface: help, usage errors, missing configuration, encrypt/decrypt with
// the master keys, and new files git-added with --intent-to-add (so the flake sees them).

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { makeTree, runCli } from "../support/cli.js";
import { hasCommand } from "./helpers.js";

const TREE = {
  "nodes/routers/group.nix": '{ common = { os = "nixos"; channel = "unstable"; }; r1 = { }; }\n',
  "nodes/routers/common/configuration.nix": "{ }\n",
};

async function fixture(withConfig = true) {
  const identity = await generateIdentity();
  const recipient = await identityToRecipient(identity);
  const root = makeTree({
    ...TREE,
    ...(withConfig ? { ".sops.yaml": `creation_rules:\n  - age: ${recipient}\n` } : {}),
  });
  const env = {
    SOPS_AGE_KEY: identity,
    HOME: root,
    XDG_CONFIG_HOME: undefined,
    SOPS_AGE_KEY_FILE: undefined,
  };
  const run = (args: string[]) => runCli(["secrets", ...args, "--flake", root], root, env);
  return { root, identity, recipient, run };
}

describe("nixverse-gen secrets", () => {
  it("has help with every subcommand and examples", async () => {
    const r = await runCli(["secrets", "--help"], "/");
    expect(r.code).toBe(0);
    for (const s of [
      "edit [--resume FILE]",
      "eval <expr>",
      "encrypt [options]",
      "decrypt [options]",
      "rekey",
      "Examples:",
    ]) {
      expect(r.stdout).toContain(s);
    }
    const top = await runCli(["--help"], "/");
    expect(top.stdout).toMatch(/^\s+secrets\s+edit, evaluate, encrypt, decrypt and rekey secrets/m);
  });

  it("usage errors exit 2", async () => {
    const f = await fixture();
    const none = await runCli(["secrets"], f.root);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: nixverse-gen secrets <command>");
    expect((await f.run(["bogus"])).stderr).toContain('unknown secrets command "bogus"');
    const two = await f.run(["encrypt", "a", "b"]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("Only one file can be specified");
    expect((await f.run(["decrypt", "--in-type", "toml", "x"])).stderr).toContain(
      "--in-type must be one of yaml, json, dotenv, binary",
    );
    expect((await f.run(["edit", "--node", "r1"])).stderr).toContain(
      "--node does not apply to `secrets edit`",
    );
  });

  it("says what to do without .sops.yaml", async () => {
    const f = await fixture(false);
    const r = await f.run(["edit"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /error: Missing the \.sops\.yaml file in .* \(create \.sops\.yaml with `creation_rules/,
    );
  });

  it("encrypts to the master keys of .sops.yaml and decrypts back (files, -o, -i, types)", async () => {
    const f = await fixture();
    const plain = join(f.root, "app.yaml");
    writeFileSync(plain, "db:\n  password: hunter2\n  port: 5432\n");
    const enc = await f.run(["encrypt", plain]);
    expect(enc.stderr).toBe("");
    expect(enc.stdout).toMatch(
      /^db:\n  password: ENC\[AES256_GCM,.*type:str\]\n  port: ENC\[.*type:int\]\n/,
    );
    expect(enc.stdout).toContain(`recipient: ${f.recipient}`);
    writeFileSync(plain, enc.stdout);
    const dec = await f.run(["decrypt", plain, "--out-type", "json", "--indent", "2"]);
    expect(dec.stdout).toBe('{\n  "db": {\n    "password": "hunter2",\n    "port": 5432\n  }\n}\n');
    const out = join(f.root, "app.dec.yaml");
    expect((await f.run(["decrypt", plain, "-o", out])).code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("db:\n    password: hunter2\n    port: 5432\n"); // sops' default indent 4
    expect((await f.run(["decrypt", "-i", plain])).code).toBe(0);
    expect(readFileSync(plain, "utf8")).toBe("db:\n    password: hunter2\n    port: 5432\n");
  });

  it.skipIf(!hasCommand("git"))(
    "git-adds new key files with --intent-to-add so the flake sees them",
    async () => {
      const f = await fixture();
      execFileSync("git", ["init", "-q", f.root]);
      const plain = join(f.root, "token");
      writeFileSync(plain, "t0k3n\n");
      const r = await f.run(["encrypt", "--node", "r1", "-o", join(f.root, "token.enc"), plain]);
      expect(r.code).toBe(0);
      const status = execFileSync("git", ["-C", f.root, "status", "--porcelain"], {
        encoding: "utf8",
      });
      expect(status).toContain(" A nodes/routers/r1/secrets/fs/etc/ssh/ssh_host_ed25519_key\n");
      expect(status).toContain(" A nodes/routers/r1/fs/etc/ssh/ssh_host_ed25519_key.pub\n");
      // and the node key decrypts what was encrypted to it
      const dec = await f.run(["decrypt", "--node", "r1", join(f.root, "token.enc")]);
      expect(dec.stdout).toBe("t0k3n\n");
      // the host key itself decrypts with the master key, as the runner does
      const key = await f.run([
        "decrypt",
        join(f.root, "nodes/routers/r1/secrets/fs/etc/ssh/ssh_host_ed25519_key"),
      ]);
      expect(key.stdout).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    },
  );
});
