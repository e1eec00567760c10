// End to end on a copy of examples/fleet: `secrets edit` with a scripted $EDITOR, the generated
// flake evaluated by Nix with fixture inputs, and every file checked by decrypting it.

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptSops } from "sops-age";
import { parseIdentities } from "../../generator/secrets/age.js";
import { decryptText, emitPlain, recipientsOf } from "../../generator/secrets/sops/document.js";
import { toPlain, type SopsMap } from "../../generator/secrets/sops/tree.js";
import {
  ageIdentityFromOpenSshPrivateKey,
  ageRecipientFromSshPublicKey,
} from "../../generator/secrets/ssh-to-age.js";
import { hasCommand, skipped, tempDir } from "./helpers.js";
import { runCli } from "../support/cli.js";
import { fileStates, fleetFixture, scriptedEditor, secrets, type FleetFixture } from "./support.js";

const haveNix = hasCommand("nix");
if (!haveNix) skipped("nix not installed: secrets edit evaluates with Nix");

const MASTER = `{ lib, nodes, secrets, ... }: {
  isp = "example-isp";
  nodes = {
    # the group: both routers
    routers = {
      pppoe = { user = "isp-user"; password = "group-pppoe-pw"; };
      wifi.psk = "routers-wifi";
      _note = "kept in the master file only";
    };
    # a node override wins over its group
    router2 = {
      wifi.psk = "router2-own-wifi";
      pppoe.isp = secrets.isp;
    };
  };
}
`;

const R1 = "nodes/routers/router1";
const R2 = "nodes/routers/router2";
const KEY = "secrets/fs/etc/ssh/ssh_host_ed25519_key";
const PUB = "fs/etc/ssh/ssh_host_ed25519_key.pub";

describe.skipIf(!haveNix)("secrets edit on examples/fleet", () => {
  let f: FleetFixture;
  const scripts = tempDir("nvg-editor-");
  afterAll(() => {
    scripts.cleanup();
    f?.cleanup();
  });

  beforeAll(async () => {
    f = await fleetFixture();
  });

  async function nodeIdentity(dir: string): Promise<string> {
    const enc = readFileSync(join(f.dir, dir, KEY), "utf8");
    const pem = emitPlain((await decryptText(enc, "binary", [f.identity])).branches, "binary");
    return ageIdentityFromOpenSshPrivateKey(pem);
  }

  it("creates host keys and per-node files for router1 and router2 only, and the master file", async () => {
    const editor = scriptedEditor(scripts.dir, "first", MASTER);
    const r = await secrets(f, ["edit"], { EDITOR: editor });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const d of [R1, R2]) {
      expect(existsSync(join(f.dir, d, KEY)), `${d} key`).toBe(true);
      expect(existsSync(join(f.dir, d, PUB)), `${d} pub`).toBe(true);
      expect(existsSync(join(f.dir, d, "secrets.yaml")), `${d} secrets.yaml`).toBe(true);
    }
    for (const d of ["nodes/servers/web1", "nodes/servers/web2"]) {
      expect(existsSync(join(f.dir, d, "secrets.yaml"))).toBe(false);
      expect(existsSync(join(f.dir, d, KEY))).toBe(false);
    }
    // The master file: a sops YAML `data` document holding exactly the edit, to the master key.
    const master = readFileSync(join(f.dir, "secrets.yaml"), "utf8");
    expect(master).not.toContain("group-pppoe-pw");
    expect(recipientsOf(master, "yaml")).toEqual([f.recipient]);
    expect(await decryptSops(master, { secretKey: f.identity, fileType: "yaml" })).toEqual({
      data: MASTER,
    });
    // The flake was regenerated, and it says so: router1 now imports sops-nix with its secrets file.
    expect(r.stdout).toContain(
      "nixverse-gen: the nodes with secrets changed: regenerating the flake\n",
    );
    expect(r.stdout).toMatch(/^nixverse-gen: wrote .*nixverse\/fleet\.nix.* in /m);
    const fleetNix = readFileSync(join(f.dir, "nixverse/fleet.nix"), "utf8");
    expect(fleetNix).toContain("../nodes/routers/router1/secrets.yaml");
    expect(fleetNix).toContain("../nodes/routers/router2/fs/etc/ssh/ssh_host_ed25519_key.pub");
  });

  it("encrypts router1's file to router1's host key only; router2's key cannot open it", async () => {
    const id1 = await nodeIdentity(R1);
    const id2 = await nodeIdentity(R2);
    const file1 = readFileSync(join(f.dir, R1, "secrets.yaml"), "utf8");
    const pub1 = readFileSync(join(f.dir, R1, PUB), "utf8");
    expect(recipientsOf(file1, "yaml")).toEqual([ageRecipientFromSshPublicKey(pub1)]);
    const plain1 = toPlain((await decryptText(file1, "yaml", [id1])).branches[0] as SopsMap);
    expect(plain1).toEqual({
      pppoe: { user: "isp-user", password: "group-pppoe-pw" },
      wifi: { psk: "routers-wifi" },
    });
    await expect(decryptText(file1, "yaml", [id2])).rejects.toThrow(
      /none of the available age keys/,
    );
    await expect(decryptText(file1, "yaml", [f.identity])).rejects.toThrow(
      /none of the available age keys/,
    );
    // sops-age, an independent reader, agrees
    expect(await decryptSops(file1, { secretKey: id1, fileType: "yaml" })).toEqual(plain1);
  });

  it("cascades: the group secret reaches both routers, router2's override wins, cross-references resolve", async () => {
    const id2 = await nodeIdentity(R2);
    const file2 = readFileSync(join(f.dir, R2, "secrets.yaml"), "utf8");
    expect(toPlain((await decryptText(file2, "yaml", [id2])).branches[0] as SopsMap)).toEqual({
      pppoe: { user: "isp-user", password: "group-pppoe-pw", isp: "example-isp" },
      wifi: { psk: "router2-own-wifi" },
    });
  });

  it("host keys: the committed .pub is the key's public half, decryptable only with the master key", async () => {
    const id = parseIdentities(`${await nodeIdentity(R1)}\n`, false);
    expect(id).toHaveLength(1);
    const enc = readFileSync(join(f.dir, R1, KEY), "utf8");
    expect(JSON.parse(enc).data).toMatch(/^ENC\[AES256_GCM,/); // sops binary-in-place layout
    expect(recipientsOf(enc, "binary")).toEqual([f.recipient]);
    if (hasCommand("ssh-keygen")) {
      const pem = emitPlain((await decryptText(enc, "binary", [f.identity])).branches, "binary");
      const { execFileSync } = await import("node:child_process");
      const t = tempDir("nvg-key-");
      const kf = join(t.dir, "k");
      (await import("node:fs")).writeFileSync(kf, pem, { mode: 0o600 });
      expect(execFileSync("ssh-keygen", ["-y", "-f", kf], { encoding: "utf8" })).toBe(
        readFileSync(join(f.dir, R1, PUB), "utf8"),
      );
      t.cleanup();
    }
  });

  it("a second run with no change rewrites no file", async () => {
    const before = fileStates(f.dir);
    const r = await secrets(f, ["edit"], { EDITOR: "true" });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("no file changed");
    expect(fileStates(f.dir)).toEqual(before);
  });

  it("changing one router's value rewrites that router's file only, and the master file", async () => {
    const before = fileStates(f.dir);
    const editor = scriptedEditor(
      scripts.dir,
      "second",
      MASTER.replace("router2-own-wifi", "router2-new-wifi"),
    );
    const r = await secrets(f, ["edit"], { EDITOR: editor });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = fileStates(f.dir);
    const changed = [...after.keys()].filter(
      (k) => JSON.stringify(after.get(k)) !== JSON.stringify(before.get(k)),
    );
    expect(changed.sort()).toEqual(["nodes/routers/router2/secrets.yaml", "secrets.yaml"]);
    // The master file kept its data key (an edit, as sops edit does).
    const old = before.get("secrets.yaml")?.[0] as string;
    const now = after.get("secrets.yaml")?.[0] as string;
    expect(now.match(/enc: \|[\s\S]*?END AGE/)?.[0]).toBe(old.match(/enc: \|[\s\S]*?END AGE/)?.[0]);
  });

  it("an error keeps the edit (0600) and every committed file, then --resume finishes it", async () => {
    const before = fileStates(f.dir);
    const broken = MASTER.replace("routers = {", "routerz = {");
    const r = await secrets(f, ["edit"], { EDITOR: scriptedEditor(scripts.dir, "broken", broken) });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /secrets\.yaml: error: secrets\.nodes\.routerz: "routerz" is not a node or group under nodes\//,
    );
    const kept = /--resume (\S+)/.exec(r.stderr)?.[1] as string;
    expect(kept).toBeTruthy();
    expect(readFileSync(kept, "utf8")).toBe(broken);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    expect(fileStates(f.dir)).toEqual(before);

    // A syntax error is located in the decrypted expression.
    const syntax = await secrets(f, ["edit", "--resume", kept], {
      EDITOR: scriptedEditor(scripts.dir, "syntax", "{ nodes = { routers = ; }; }\n"),
    });
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^secrets\.yaml:1:\d+: error: syntax error/m);
    const kept2 = /--resume (\S+)/.exec(syntax.stderr)?.[1] as string;
    expect(fileStates(f.dir)).toEqual(before);

    const fixed = await secrets(f, ["edit", "--resume", kept2], {
      EDITOR: scriptedEditor(scripts.dir, "fixed", MASTER.replace("group-pppoe-pw", "resumed-pw")),
    });
    expect(fixed.stderr).toBe("");
    expect(fixed.code).toBe(0);
    expect(existsSync(kept2)).toBe(false);
    const id1 = await nodeIdentity(R1);
    const plain = toPlain(
      (await decryptText(readFileSync(join(f.dir, R1, "secrets.yaml"), "utf8"), "yaml", [id1]))
        .branches[0] as SopsMap,
    );
    expect((plain as { pppoe: { password: string } }).pppoe.password).toBe("resumed-pw");
  });

  it("an input Nix cannot fetch (offline) is named as the cause, not secrets.yaml", async () => {
    const overrides = (await f.overrides()).map((a) =>
      a.startsWith("path:") && a.includes("nixpkgs") ? "path:/nonexistent/nixpkgs" : a,
    );
    const before = fileStates(f.dir);
    const r = await runCli(["secrets", "edit", "--flake", f.dir, ...overrides], f.dir, {
      ...f.env,
      EDITOR: "true",
    });
    expect(r.code).toBe(1);
    // Which of the two nixpkgs inputs Nix locks first is its business.
    expect(r.stderr).toMatch(
      /^error: Nix could not fetch the flake input nixpkgs-\S+ \(path:\/nonexistent\/nixpkgs\): .*does not exist \(the secrets are evaluated in the flake, so its inputs must be fetchable/m,
    );
    expect(r.stderr).not.toContain("secrets.yaml: error");
    expect(fileStates(f.dir)).toEqual(before);
  });

  it("secrets eval sees the whole evaluated file, hidden keys included", async () => {
    const r = await secrets(f, [
      "eval",
      'secrets.nodes.routers._note + " / " + secrets.nodes.router1.pppoe.user',
    ]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("kept in the master file only / isp-user\n");
    const j = await secrets(f, ["eval", "builtins.attrNames secrets.nodes"]);
    expect(JSON.parse(j.stdout)).toEqual(["router1", "router2", "routers"]);
  });

  it("secrets decrypt --node and encrypt --node use the node's host key", async () => {
    const dec = await secrets(f, ["decrypt", "--node", "router1", join(f.dir, R1, "secrets.yaml")]);
    expect(dec.code).toBe(0);
    expect(dec.stdout).toContain("password: resumed-pw");
    const t = tempDir("nvg-crypt-");
    const plainFile = join(t.dir, "chap-secrets");
    (await import("node:fs")).writeFileSync(plainFile, "isp-user * resumed-pw\n");
    const out = join(t.dir, "chap-secrets.enc");
    const enc = await secrets(f, ["encrypt", "--node", "router2", "-o", out, plainFile]);
    expect(enc.stderr).toBe("");
    expect(enc.code).toBe(0);
    const id2 = await nodeIdentity(R2);
    expect(
      emitPlain((await decryptText(readFileSync(out, "utf8"), "binary", [id2])).branches, "binary"),
    ).toBe("isp-user * resumed-pw\n");
    const bad = await secrets(f, ["decrypt", "--node", "routers", out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("routers is a group, not a node");
    const usage = await secrets(f, ["encrypt", "-i", "-o", "x", plainFile]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--in-place and --out can not both be specified");
    t.cleanup();
  });

  it("rekey after a master key change re-encrypts master-key files to the new key, node files untouched", async () => {
    const { generateIdentity, identityToRecipient } = await import("age-encryption");
    const newId = await generateIdentity();
    const newRecipient = await identityToRecipient(newId);
    (await import("node:fs")).writeFileSync(
      join(f.dir, ".sops.yaml"),
      `creation_rules:\n  - age: ${newRecipient}\n`,
    );
    const before = fileStates(f.dir);
    const r = await secrets(f, ["rekey"]); // still decrypts with the old key from SOPS_AGE_KEY
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const after = fileStates(f.dir);
    const changed = [...after.keys()].filter(
      (k) => JSON.stringify(after.get(k)) !== JSON.stringify(before.get(k)),
    );
    expect(changed.sort()).toEqual([`${R1}/${KEY}`, `${R2}/${KEY}`, "secrets.yaml"]);
    for (const file of ["secrets.yaml", `${R1}/${KEY}`]) {
      const text = readFileSync(join(f.dir, file), "utf8");
      expect(recipientsOf(text, file.endsWith(".yaml") ? "yaml" : "binary")).toEqual([
        newRecipient,
      ]);
      await expect(
        decryptText(text, file.endsWith(".yaml") ? "yaml" : "binary", [f.identity]),
      ).rejects.toThrow();
      await decryptText(text, file.endsWith(".yaml") ? "yaml" : "binary", [newId]);
    }
  });
});

describe.skipIf(!haveNix)("secrets edit on a fleet without secrets", () => {
  it("starts from a template naming the fleet's groups and nodes, valid as it is", async () => {
    const f = await fleetFixture();
    try {
      const r = await secrets(f, ["edit"], { EDITOR: "true" });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const master = readFileSync(join(f.dir, "secrets.yaml"), "utf8");
      const data = emitPlain((await decryptText(master, "yaml", [f.identity])).branches, "binary");
      expect(data).toContain(
        "# Groups: routers, servers, sshable\n# Nodes: router1, router2, web1, web2\n",
      );
      expect(existsSync(join(f.dir, R1, "secrets.yaml"))).toBe(false);
      expect(existsSync(join(f.dir, R1, KEY))).toBe(false);
    } finally {
      f.cleanup();
    }
  });
});
