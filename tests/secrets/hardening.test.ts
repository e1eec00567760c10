// Secrets commands against a hostile fleet and a crash (issue 12 items 2 and 3): the fleet's code
// is evaluated pure, a host key is never silently replaced, and a `rekey` killed at any step of
// its commit is finished or undone by the next run with every key intact.
import { execa } from "execa";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { decryptText, emitPlain } from "../../generator/secrets/sops/document.js";
import { toPlain, type SopsMap } from "../../generator/secrets/sops/tree.js";
import { ageIdentityFromOpenSshPrivateKey } from "../../generator/secrets/ssh-to-age.js";
import { repoRoot } from "../support/cli.js";
import { copyTree } from "../support/flake-fixtures.js";
import { hasCommand, skipped, tempDir } from "./helpers.js";
import { fileStates, fleetFixture, scriptedEditor, secrets, type FleetFixture } from "./support.js";

const haveNix = hasCommand("nix");
if (!haveNix) skipped("nix not installed: secrets commands evaluate with Nix");

const R1 = "nodes/routers/router1";
const R2 = "nodes/routers/router2";
const KEY = "secrets/fs/etc/ssh/ssh_host_ed25519_key";
const PUB = "fs/etc/ssh/ssh_host_ed25519_key.pub";
const MASTER = `{ lib', ... }: {
  nodes.routers.wifi = "routers-wifi";
  nodes.router1 = { key = lib'.leakKey; keyFile = lib'.leakKeyFile; home = lib'.leakHome; };
}
`;
// A lib.nix that tries to read the master key through the environment.
const HOSTILE_LIB = `{ lib, ... }: {
  leakKey = builtins.getEnv "SOPS_AGE_KEY";
  leakKeyFile = builtins.getEnv "SOPS_AGE_KEY_FILE";
  leakHome = builtins.getEnv "HOME";
  address = net: host: "\${net}.\${toString host}";
  adminKeys = [ ];
}
`;

async function nodeSecrets(dir: string, node: string, master: string): Promise<unknown> {
  const enc = readFileSync(join(dir, node, KEY), "utf8");
  const pem = emitPlain((await decryptText(enc, "binary", [master])).branches, "binary");
  const id = ageIdentityFromOpenSshPrivateKey(pem);
  const file = readFileSync(join(dir, node, "secrets.yaml"), "utf8");
  return toPlain((await decryptText(file, "yaml", [id])).branches[0] as SopsMap);
}

/** Decrypted host keys and committed .pub files: the machines' identities. */
async function identities(dir: string, master: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of [R1, R2]) {
    const enc = readFileSync(join(dir, n, KEY), "utf8");
    out[n] = emitPlain((await decryptText(enc, "binary", [master])).branches, "binary");
    out[`${n}.pub`] = readFileSync(join(dir, n, PUB), "utf8");
  }
  return out;
}

describe.skipIf(!haveNix)("secrets commands on a hostile or crashed fleet", () => {
  let f: FleetFixture;
  const scripts = tempDir("nvg-editor-");
  beforeAll(async () => {
    f = await fleetFixture();
    writeFileSync(join(f.dir, "lib.nix"), HOSTILE_LIB);
  });
  afterAll(() => {
    scripts.cleanup();
    f?.cleanup();
  });

  it("the fleet's lib.nix cannot read the master key from the environment", async () => {
    const keyFile = join(scripts.dir, "keys.txt");
    writeFileSync(keyFile, `${f.identity}\n`, { mode: 0o600 });
    const r = await secrets(f, ["edit"], {
      EDITOR: scriptedEditor(scripts.dir, "hostile", MASTER),
      SOPS_AGE_KEY_FILE: keyFile,
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await nodeSecrets(f.dir, R1, f.identity)).toEqual({
      wifi: "routers-wifi",
      key: "",
      keyFile: "",
      home: "",
    });
  });

  it("nor read files outside the flake", async () => {
    writeFileSync(
      join(f.dir, "lib.nix"),
      HOSTILE_LIB.replace('builtins.getEnv "HOME"', "builtins.readFile /etc/passwd"),
    );
    const before = fileStates(f.dir);
    try {
      const r = await secrets(f, ["edit"], {
        EDITOR: scriptedEditor(scripts.dir, "abs", MASTER.replace("routers-wifi", "x")),
      });
      // Nix says "access to absolute path '/etc/passwd' is forbidden in restricted mode".
      expect(r.code).toBe(1);
      expect(fileStates(f.dir)).toEqual(before);
      const kept = /--resume (\S+)/.exec(r.stderr)?.[1];
      if (kept) rmSync(join(kept, ".."), { recursive: true, force: true });
    } finally {
      writeFileSync(join(f.dir, "lib.nix"), HOSTILE_LIB);
    }
  });

  it("rekey refuses to make a new host key for a node whose public key exists", async () => {
    const key = readFileSync(join(f.dir, R2, KEY), "utf8");
    rmSync(join(f.dir, R2, KEY));
    const r = await secrets(f, ["rekey"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${R2}/${PUB}: error: router2 has a public host key (${R2}/${PUB}) but its private key ${R2}/${KEY} is missing`,
    );
    expect(readdirSync(join(f.dir, R2, "secrets/fs/etc/ssh"))).toEqual([]);
    writeFileSync(join(f.dir, R2, KEY), key);
  });

  it("a rekey SIGKILLed after any step of its commit is finished or undone, keys intact", async () => {
    // A second master recipient: rekey re-encrypts the master file and both host keys.
    const second = await identityToRecipient(await generateIdentity());
    writeFileSync(
      join(f.dir, ".sops.yaml"),
      `creation_rules:\n  - age: ${f.recipient},${second}\n`,
    );
    const before = await identities(f.dir, f.identity);
    const bin = join(repoRoot, "bin/nixverse-gen.js");
    const overrides = await f.overrides();
    const rekey = (dir: string, env: Record<string, string> = {}) =>
      execa("node", [bin, "secrets", "rekey", "--flake", dir, ...overrides], {
        reject: false,
        env: { ...process.env, FLAKE: "", ...f.env, ...env },
      });
    const strays = (dir: string) => readdirSync(dir).filter((e) => e.startsWith(".nixverse-gen-"));
    const steps = ["staged", "journal", "apply-0", "apply-1", "apply-2", "done"];
    // The steps run side by side, each on its own copy (a Nix evaluation per run is the cost).
    await Promise.all(
      steps.map(async (step) => {
        const dir = copyTree(f.dir);
        const run = tempDir("nvg-run-");
        const crashed = await rekey(dir, {
          NIXVERSE_GEN_TEST_CRASH_AT: step,
          XDG_RUNTIME_DIR: run.dir,
        });
        expect(crashed.signal, `killed at ${step}: ${crashed.stderr}`).toBe("SIGKILL");
        const next = await rekey(dir, { XDG_RUNTIME_DIR: run.dir });
        expect(next.exitCode, next.stderr).toBe(0);
        // A SIGKILL cannot be caught: the plaintext workspace is reported by the next run.
        const [left] = readdirSync(run.dir);
        expect(left).toMatch(/^nixverse-secrets-\d+-/);
        expect(next.stderr).toContain(
          `warning: ${join(run.dir, left!, "secrets.nix")} holds decrypted secrets from an earlier run`,
        );
        run.cleanup();
        // From the journal on the commit is finished by recovery, so rekey has nothing left to do.
        expect(next.stderr, `after ${step}`).toMatch(
          step === "staged" || step === "done"
            ? /^nixverse-gen: removed \.nixverse-gen-\S+ left by an interrupted run/
            : /^nixverse-gen: finished a write that was interrupted \(/,
        );
        if (step !== "staged")
          expect(next.stdout).toContain("already encrypted to the current keys");
        expect(strays(dir)).toEqual([]);
        expect(await identities(dir, f.identity), `identities after ${step}`).toEqual(before);
        const check = await execa("node", [bin, "gen", "--check", "--flake", dir], {
          reject: false,
        });
        expect(check.exitCode, check.stdout).toBe(0);
      }),
    );
  });

  it("SIGTERM during the commit says the files were written and keeps no plaintext", async () => {
    const bin = join(repoRoot, "bin/nixverse-gen.js");
    const dir = copyTree(f.dir);
    const run = tempDir("nvg-run-");
    const canary = "sigterm-canary-51c2";
    const r = await execa(
      "node",
      [bin, "secrets", "edit", "--flake", dir, ...(await f.overrides())],
      {
        reject: false,
        env: {
          ...process.env,
          FLAKE: "",
          ...f.env,
          XDG_RUNTIME_DIR: run.dir,
          EDITOR: scriptedEditor(scripts.dir, "term", MASTER.replace("routers-wifi", canary)),
          NIXVERSE_GEN_TEST_SIGTERM_AT: "apply-0",
        },
      },
    );
    expect(r.exitCode, r.stderr).toBe(143);
    expect(r.stderr).toContain(
      "interrupted (SIGTERM) after every secrets file was written; run `nixverse-gen gen` if the flake needs regenerating",
    );
    expect(r.stderr).not.toContain("no committed file was changed");
    expect(r.stderr).not.toContain("--resume");
    expect(readdirSync(run.dir)).toEqual([]);
    expect(await nodeSecrets(dir, R1, f.identity)).toMatchObject({ wifi: canary });
    run.cleanup();
  });

  it("reports a workspace a killed run left, and --resume never deletes the user's own file", async () => {
    const runDir = f.env.XDG_RUNTIME_DIR as string;
    const stale = join(runDir, "nixverse-secrets-999999999-dead01");
    mkdirSync(stale, { mode: 0o700 });
    writeFileSync(join(stale, "secrets.nix"), MASTER, { mode: 0o600 });
    const mine = join(scripts.dir, "my-draft.nix");
    writeFileSync(mine, MASTER.replace("routers-wifi", "from-my-draft"));
    const r = await secrets(f, ["edit", "--resume", mine], { EDITOR: "true" });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `warning: ${stale}/secrets.nix holds decrypted secrets from an earlier run: resume it with \`--resume ${stale}/secrets.nix\` or delete ${stale}\n`,
    );
    expect(existsSync(mine)).toBe(true);
    expect(await nodeSecrets(f.dir, R1, f.identity)).toMatchObject({ wifi: "from-my-draft" });
    // eval decrypts into a workspace too, and reports the leftover the same way.
    const e = await secrets(f, ["eval", "secrets.nodes.routers.wifi"]);
    expect(e.stdout).toBe("from-my-draft\n");
    expect(e.stderr).toBe(r.stderr);

    // Resuming the tool's own kept edit removes it, but only once the commit succeeded.
    const ok = await secrets(f, ["edit", "--resume", join(stale, "secrets.nix")], {
      EDITOR: "true",
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toBe("");
    expect(existsSync(stale)).toBe(false);
  });
});

// Before 5be2993 the plaintext's path reached Nix as `(/. + "<path>")`: JSON quoting leaves `${…}`
// live, so a temp dir's name was evaluated as Nix code. It is an -I search-path argument now.
describe.skipIf(!haveNix)("a temp dir whose name is Nix code, shell syntax and spaces", () => {
  let f: FleetFixture;
  beforeAll(async () => {
    f = await fleetFixture();
  });
  afterAll(() => f?.cleanup());

  it("edit, eval and rekey work with TMPDIR and XDG_RUNTIME_DIR there, and leave it empty", async () => {
    const odd = join(f.home, `t \${builtins.abort (toString 42)} $HOME 'q' "d" \`id\``);
    mkdirSync(odd, { mode: 0o700 });
    const bin = join(repoRoot, "bin/nixverse-gen.js");
    // A process of its own: os.tmpdir() reads this process's TMPDIR, as a user's run would.
    // A process of its own: os.tmpdir() reads this process's TMPDIR, as a user's run would. The
    // inputs are read per run (the flake gains sops-nix with the first node secrets).
    const cli = async (args: string[], env: Record<string, string> = {}) =>
      execa("node", [bin, "secrets", ...args, "--flake", f.dir, ...(await f.overrides())], {
        reject: false,
        env: { ...process.env, FLAKE: "", ...f.env, TMPDIR: odd, XDG_RUNTIME_DIR: odd, ...env },
      });
    const master = `{ ... }: { nodes.routers.wifi = "w \${"1"}"; nodes.router1.token = "t1"; }\n`;
    const scripts = join(f.home, "editor");
    mkdirSync(scripts);
    // A failed edit is kept there, and the --resume command it prints pastes into a shell as is.
    const broken = await cli(["edit"], { EDITOR: scriptedEditor(scripts, "broken", "{ broken") });
    expect(broken.exitCode).toBe(1);
    const word = /^ {2}nixverse-gen secrets edit --resume (.+)$/m.exec(broken.stderr)?.[1];
    expect(word, broken.stderr).toBeDefined();
    const kept = (await execa("sh", ["-c", `printf %s ${word}`])).stdout;
    expect(kept.startsWith(`${odd}/nixverse-secrets-`), kept).toBe(true);
    expect(readFileSync(kept, "utf8")).toBe("{ broken");

    const seen = join(scripts, "seen");
    const editor = scriptedEditor(scripts, "odd", master, { then: `printf %s "$1" > '${seen}'` });
    const r = await cli(["edit", "--resume", kept], { EDITOR: editor });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    // The workspace of this run was in that dir too, and the resumed edit is gone.
    expect(readFileSync(seen, "utf8").startsWith(`${odd}/nixverse-secrets-`)).toBe(true);
    expect(existsSync(kept)).toBe(false);
    expect(await nodeSecrets(f.dir, R1, f.identity)).toEqual({ wifi: "w 1", token: "t1" });
    expect(await nodeSecrets(f.dir, R2, f.identity)).toEqual({ wifi: "w 1" });

    const e = await cli(["eval", "secrets.nodes.router1.token"]);
    expect(e.stderr).toBe("");
    expect(e.stdout).toBe("t1");

    // A second master recipient: rekey re-encrypts the master file and both host keys.
    const second = await generateIdentity();
    writeFileSync(
      join(f.dir, ".sops.yaml"),
      `creation_rules:\n  - age: ${f.recipient},${await identityToRecipient(second)}\n`,
    );
    const before = await identities(f.dir, f.identity);
    const k = await cli(["rekey"]);
    expect(k.stderr).toBe("");
    expect(k.exitCode).toBe(0);
    expect(await identities(f.dir, second)).toEqual(before);
    expect(await nodeSecrets(f.dir, R1, second)).toEqual({ wifi: "w 1", token: "t1" });
    expect(readdirSync(odd)).toEqual([]);
  });
});
