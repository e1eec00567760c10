// ed25519 host keys: accepted by ssh-keygen, and their ssh-to-age conversions checked against the
// sops-nix vector, against sops-age's converter and against Debian's `age` CLI.

import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sshKeyToAge } from "sops-age";
import { identityToRecipient } from "age-encryption";
import {
  formatPrivateKey,
  formatPublicKey,
  generateEd25519,
  parsePrivateKey,
  parsePublicKey,
} from "../../generator/secrets/ssh-keys.js";
import {
  ageIdentityFromOpenSshPrivateKey,
  ageRecipientFromEd25519,
  ageRecipientFromSshPublicKey,
} from "../../generator/secrets/ssh-to-age.js";
import { decryptText, parseEncrypted } from "../../generator/secrets/sops/document.js";
import { haveVectors, hasCommand, readVector, skipped, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(tmp.cleanup);
const haveSshKeygen = hasCommand("ssh-keygen");
const haveAge = hasCommand("age");
if (!haveSshKeygen) skipped("ssh-keygen not installed");
if (!haveAge) skipped("Debian `age` CLI not installed");
if (!haveVectors) skipped("sops vectors not found");

describe("OpenSSH ed25519 keys", () => {
  it.skipIf(!haveSshKeygen)(
    "ssh-keygen -y accepts our private key and prints our public line",
    () => {
      for (let i = 0; i < 3; i++) {
        const key = generateEd25519();
        const file = join(tmp.dir, `key${i}`);
        writeFileSync(file, formatPrivateKey(key), { mode: 0o600 });
        const pub = execFileSync("ssh-keygen", ["-y", "-f", file], { encoding: "utf8" });
        expect(pub).toBe(formatPublicKey(key));
        // and its fingerprint reads the same key
        writeFileSync(`${file}.pub`, formatPublicKey(key));
        const fp1 = execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).split(
          " ",
        )[1];
        const fp2 = execFileSync("ssh-keygen", ["-l", "-f", `${file}.pub`], {
          encoding: "utf8",
        }).split(" ")[1];
        expect(fp1).toBe(fp2);
      }
    },
  );

  it.skipIf(!haveSshKeygen)("reads keys made by ssh-keygen", () => {
    const file = join(tmp.dir, "made-by-ssh-keygen");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", file]);
    const text = execFileSync("cat", [file], { encoding: "utf8" });
    const key = parsePrivateKey(text);
    const pubLine = execFileSync("cat", [`${file}.pub`], { encoding: "utf8" });
    expect(formatPublicKey(key).trim()).toBe(pubLine.trim());
    // Same layout as ssh-keygen's: only the random check ints differ.
    expect(
      formatPrivateKey(key)
        .split("\n")
        .map((l) => l.length),
    ).toEqual(text.split("\n").map((l) => l.length));
  });

  it("round-trips through its own parser", () => {
    const key = generateEd25519();
    const back = parsePrivateKey(formatPrivateKey(key));
    expect(Buffer.from(back.seed).equals(Buffer.from(key.seed))).toBe(true);
    expect(
      Buffer.from(parsePublicKey(formatPublicKey(key))).equals(Buffer.from(key.publicKey)),
    ).toBe(true);
  });
});

describe("ssh-to-age", () => {
  it.skipIf(!haveVectors)(
    "the sops-nix vector's public key converts to the recipient in its secrets.yaml",
    () => {
      const recipient = ageRecipientFromSshPublicKey(readVector("sops-nix/ssh-ed25519-key.pub"));
      expect(recipient).toBe("age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs");
      expect(readVector("sops-nix/secrets.yaml")).toContain(`recipient: ${recipient}`);
    },
  );

  it.skipIf(!haveVectors)(
    "the vector's private key converts to an identity that opens the sops-nix file",
    async () => {
      const identity = ageIdentityFromOpenSshPrivateKey(readVector("sops-nix/ssh-ed25519-key"));
      expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
      expect(identity).toBe(sshKeyToAge(readVector("sops-nix/ssh-ed25519-key")));
      expect(await identityToRecipient(identity)).toBe(
        "age1a8pk4akrdamj7nvqy3zywgtny8dxz7t5xzu7u8v9mhrayp9freqsqatyrs",
      );
      const { branches } = await decryptText(readVector("sops-nix/secrets.yaml"), "yaml", [
        identity,
      ]);
      expect(branches[0]?.get("test_key")).toBe("test_value");
    },
  );

  it.skipIf(!haveVectors || !haveAge)(
    "age -d -i <the vector's converted private key> opens its stanza in the sops-nix file, giving the data key",
    async () => {
      const identity = ageIdentityFromOpenSshPrivateKey(readVector("sops-nix/ssh-ed25519-key"));
      const idFile = join(tmp.dir, "vector-id");
      writeFileSync(idFile, `${identity}\n`, { mode: 0o600 });
      const doc = parseEncrypted(readVector("sops-nix/secrets.yaml"), "yaml");
      const entry = doc.metadata.age.find((e) => e.recipient.startsWith("age1a8pk4"));
      const encFile = join(tmp.dir, "vector-enc");
      writeFileSync(encFile, entry?.enc ?? "");
      const key = execFileSync("age", ["-d", "-i", idFile, encFile]);
      const ours = await decryptText(readVector("sops-nix/secrets.yaml"), "yaml", [identity]);
      expect(Buffer.from(key).equals(Buffer.from(ours.dataKey))).toBe(true);
    },
  );

  it.skipIf(!haveAge)(
    "our keys: age -r <converted public> encrypts, age -d -i <converted private> decrypts",
    () => {
      const dir = join(tmp.dir, "age-cli");
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < 3; i++) {
        const key = generateEd25519();
        const recipient = ageRecipientFromEd25519(key.publicKey);
        const identity = ageIdentityFromOpenSshPrivateKey(formatPrivateKey(key));
        const idFile = join(dir, `id${i}`);
        writeFileSync(idFile, `${identity}\n`);
        chmodSync(idFile, 0o600);
        const enc = execFileSync("age", ["-r", recipient], { input: `hello ${i}` });
        expect(execFileSync("age", ["-d", "-i", idFile], { input: enc, encoding: "utf8" })).toBe(
          `hello ${i}`,
        );
        // age-keygen -y derives the same recipient from the identity
        expect(execFileSync("age-keygen", ["-y", idFile], { encoding: "utf8" }).trim()).toBe(
          recipient,
        );
      }
    },
  );
});
