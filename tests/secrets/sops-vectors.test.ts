// Files written by the real sops (../shared/sops-vectors): decrypt with the MAC checked, reject any
// one-byte change, reordering or removal, and re-emit byte for byte.

import { describe, expect, it } from "vitest";
import { decryptSops } from "sops-age";
import { parseIdentities } from "../../generator/secrets/age.js";
import {
  decryptText,
  emitEncrypted,
  parseEncrypted,
  SopsError,
  type SopsFormat,
} from "../../generator/secrets/sops/document.js";
import { toPlain } from "../../generator/secrets/sops/tree.js";
import { haveVectors, readVector, skipped } from "./helpers.js";

interface Vector {
  file: string;
  key: string;
  format: SopsFormat;
  indent?: number;
  /** Plaintext as the vectors' README (or the repository's plaintext file) states it. */
  expected?: unknown;
}

const sopsNixPlain = {
  test_key: "test_value",
  a_list: ["e1", "e3"],
  nested: { test: { file: "another value" } },
};
const humphdPlain = {
  secret: "this is a secret",
  string: "string",
  int: 7,
  float: 3.14,
  boolean: true,
  complex: { value: "this is a secret", array: ["one", "two", "three"] },
};

const vectors: Vector[] = [
  {
    file: "sops-nix/secrets.yaml",
    key: "sops-nix/age-keys.txt",
    format: "yaml",
    indent: 4,
    expected: sopsNixPlain,
  },
  {
    file: "humphd-sops-age/secret.enc.yaml",
    key: "humphd-sops-age/key.txt",
    format: "yaml",
    indent: 2,
    expected: humphdPlain,
  },
  {
    file: "humphd-sops-age/secret.enc.json",
    key: "humphd-sops-age/key.txt",
    format: "json",
    indent: 2,
  },
  { file: "humphd-sops-age/secret.enc.env", key: "humphd-sops-age/key.txt", format: "dotenv" },
];

if (!haveVectors)
  skipped("sops vectors not found (set SOPS_VECTORS_DIR or put shared/ beside the repo)");

const ids = (v: Vector) => parseIdentities(readVector(v.key), false);

describe.skipIf(!haveVectors)("sops vectors", () => {
  for (const v of vectors) {
    describe(v.file, () => {
      it("decrypts with the MAC verified, to the documented plaintext and what sops-age reads", async () => {
        const text = readVector(v.file);
        const { branches } = await decryptText(text, v.format, ids(v));
        const ours = toPlain(branches[0] as never);
        const oracle = await decryptSops(text, {
          secretKey: ids(v)[0] as string,
          fileType: v.format === "dotenv" ? "env" : v.format === "json" ? "json" : "yaml",
        });
        expect(ours).toEqual(oracle);
        if (v.file.endsWith(".json"))
          expect(ours).toEqual(JSON.parse(readVector("humphd-sops-age/secret.json")));
        if (v.expected) expect(ours).toEqual(v.expected);
      });

      it("re-emits the encrypted document byte for byte", () => {
        const text = readVector(v.file);
        expect(emitEncrypted(parseEncrypted(text, v.format), v.format, v.indent)).toBe(text);
      });

      it("rejects a one-byte change to every value and to the MAC", async () => {
        const text = readVector(v.file);
        const lines = text.split("\n");
        const targets = lines.flatMap((l, i) => (l.includes("ENC[AES256_GCM,data:") ? [i] : []));
        expect(targets.length).toBeGreaterThanOrEqual(3);
        for (const i of targets) {
          for (const part of ["data:", "iv:", "tag:"]) {
            const line = lines[i] as string;
            const at = line.indexOf(part) + part.length + 1;
            const c = line[at] as string;
            const changed = line.slice(0, at) + (c === "A" ? "B" : "A") + line.slice(at + 1);
            const tampered = [...lines.slice(0, i), changed, ...lines.slice(i + 1)].join("\n");
            await expect(
              decryptText(tampered, v.format, ids(v)),
              `line ${i + 1} ${part}`,
            ).rejects.toBeInstanceOf(SopsError);
          }
        }
      });

      it("rejects a changed lastmodified (the MAC's additional data)", async () => {
        const text = readVector(v.file).replace(/(lastmodified["=:]*\s*"?\d{4})/, (m) =>
          m.replace(/\d$/, (d) => String((Number(d) + 1) % 10)),
        );
        expect(text).not.toBe(readVector(v.file));
        await expect(decryptText(text, v.format, ids(v))).rejects.toThrow(/MAC/);
      });
    });
  }

  it("rejects reordered list items, though each still decrypts (list positions are not in the AAD)", async () => {
    const v = vectors[0] as Vector;
    const lines = readVector(v.file).split("\n");
    const i = lines.findIndex((l) => l.startsWith("a_list:"));
    const swapped = [...lines];
    swapped[i + 1] = lines[i + 2] as string;
    swapped[i + 2] = lines[i + 1] as string;
    await expect(decryptText(swapped.join("\n"), "yaml", ids(v))).rejects.toThrow(/MAC mismatch/);
    const v2 = vectors[1] as Vector;
    const l2 = readVector(v2.file).split("\n");
    const j = l2.findIndex((l) => l.trim() === "array:");
    const s2 = [...l2];
    s2[j + 1] = l2[j + 3] as string;
    s2[j + 3] = l2[j + 1] as string;
    await expect(decryptText(s2.join("\n"), "yaml", ids(v2))).rejects.toThrow(/MAC mismatch/);
  });

  it("rejects a removed value and a value moved to another key", async () => {
    const v = vectors[1] as Vector;
    const text = readVector(v.file);
    const removed = text
      .split("\n")
      .filter((l) => !l.startsWith("string:"))
      .join("\n");
    await expect(decryptText(removed, "yaml", ids(v))).rejects.toThrow(/MAC mismatch/);
    // Swapping the ciphertexts of `secret` and `string` breaks their AAD (the key path).
    const lines = text.split("\n");
    const a = lines.findIndex((l) => l.startsWith("secret:"));
    const b = lines.findIndex((l) => l.startsWith("string:"));
    const swapped = [...lines];
    swapped[a] = `secret:${(lines[b] as string).slice("string:".length)}`;
    swapped[b] = `string:${(lines[a] as string).slice("secret:".length)}`;
    await expect(decryptText(swapped.join("\n"), "yaml", ids(v))).rejects.toThrow(
      /cannot decrypt the value at secret/,
    );
  });

  it("reads the PGP-only JSON vector's layout and says no age key can open it", async () => {
    const text = readVector("sops-nix/secrets.json");
    const doc = parseEncrypted(text, "json");
    expect(doc.metadata.age).toEqual([]);
    // sops 3.5 wrote no final newline; newer versions do.
    expect(emitEncrypted(doc, "json")).toBe(`${text}\n`);
    await expect(decryptText(text, "json", ids(vectors[0] as Vector))).rejects.toThrow(
      /no age recipients/,
    );
  });

  it("fails without a matching key, naming the recipients", async () => {
    const v = vectors[1] as Vector;
    await expect(
      decryptText(readVector(v.file), "yaml", ids(vectors[0] as Vector)),
    ).rejects.toThrow(/age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr/);
  });
});
