// Files we encrypt, checked by independent readers: the sops-age npm package for the document and
// Debian's `age` CLI for the wrapped data key.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decryptSops } from "sops-age";
import { generateIdentity, identityToRecipient } from "age-encryption";
import {
  decryptText,
  encryptToText,
  parseEncrypted,
  parsePlain,
  emitPlain,
  type SopsFormat,
} from "../../generator/secrets/sops/document.js";
import { fromPlain, goFormatFloat, SopsMap, toPlain } from "../../generator/secrets/sops/tree.js";
import { goFormatG } from "../../generator/secrets/sops/yaml-store.js";
import { hasCommand, skipped, tempDir } from "./helpers.js";

const haveAge = hasCommand("age");
if (!haveAge) skipped("Debian `age` CLI not installed (apt-get install age)");

const tmp = tempDir();
afterAll(tmp.cleanup);

const sample = {
  password: "pppoe secret: with colon # and hash",
  empty: "",
  count: 42,
  ratio: 2.5,
  enabled: false,
  nested: { list: ["a", "b", { deep: "x" }], yes: "yes" },
  comment_unencrypted: "stays in clear",
  multi: "line one\nline two\n",
};

async function makeKey() {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

describe("encrypting", () => {
  for (const format of ["yaml", "json"] as SopsFormat[]) {
    it(`${format}: sops-age decrypts our file; age -d opens every wrapped data key`, async () => {
      const a = await makeKey();
      const b = await makeKey();
      const text = await encryptToText([fromPlain(sample) as SopsMap], format, {
        recipients: [a.recipient, b.recipient],
        indent: 2,
      });
      expect(text).toContain("stays in clear"); // the _unencrypted suffix
      expect(text).not.toContain("pppoe secret");
      for (const k of [a, b]) {
        const oracle = await decryptSops(text, {
          secretKey: k.identity,
          fileType: format === "json" ? "json" : "yaml",
        });
        expect(oracle).toEqual(sample);
      }
      const ours = await decryptText(text, format, [b.identity]);
      expect(toPlain(ours.branches[0] as SopsMap)).toEqual(sample);
      if (!haveAge) return;
      const doc = parseEncrypted(text, format);
      expect(doc.metadata.age.map((e) => e.recipient)).toEqual([a.recipient, b.recipient]);
      for (const [i, k] of [a, b].entries()) {
        const idFile = join(tmp.dir, `id-${format}-${i}`);
        writeFileSync(idFile, `${k.identity}\n`);
        const encFile = join(tmp.dir, `enc-${format}-${i}`);
        writeFileSync(encFile, (doc.metadata.age[i] as { enc: string }).enc);
        const key = execFileSync("age", ["-d", "-i", idFile, encFile]);
        expect(Buffer.from(key).equals(Buffer.from(ours.dataKey))).toBe(true);
      }
    });
  }

  it("dotenv: sops-age decrypts our file", async () => {
    const a = await makeKey();
    const plain = parsePlain("DB_PASSWORD=hunter2\nTOKEN=abc\\ndef\n", "dotenv");
    const text = await encryptToText(plain, "dotenv", { recipients: [a.recipient] });
    expect(text).toMatch(/^sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED FILE-----\\n/m);
    const oracle = await decryptSops(text, { secretKey: a.identity, fileType: "env" });
    expect(oracle).toEqual({ DB_PASSWORD: "hunter2", TOKEN: "abc\ndef" });
    const ours = await decryptText(text, "dotenv", [a.identity]);
    expect(emitPlain(ours.branches, "dotenv")).toBe("DB_PASSWORD=hunter2\nTOKEN=abc\\ndef\n");
  });

  it("binary: a Nix file round-trips in a YAML `data` document that sops-age reads", async () => {
    const a = await makeKey();
    const nix = '{ nodes.routers.pppoe.password = "s3cret"; }\n';
    const text = await encryptToText(parsePlain(nix, "binary"), "yaml", {
      recipients: [a.recipient],
      indent: 2,
    });
    expect(text).toMatch(/^data: ENC\[AES256_GCM,/);
    expect(await decryptSops(text, { secretKey: a.identity, fileType: "yaml" })).toEqual({
      data: nix,
    });
    const ours = await decryptText(text, "yaml", [a.identity]);
    expect(emitPlain(ours.branches, "binary")).toBe(nix);
    // Binary input written in place is a JSON envelope, as `sops -e -i <keyfile>` makes.
    const json = await encryptToText(parsePlain(nix, "binary"), "binary", {
      recipients: [a.recipient],
      indent: 2,
    });
    expect(JSON.parse(json).data).toMatch(/^ENC\[/);
    expect(emitPlain((await decryptText(json, "binary", [a.identity])).branches, "binary")).toBe(
      nix,
    );
  });

  it("keeps the data key and the wrapped keys when asked (an edit), and a fresh IV per value", async () => {
    const a = await makeKey();
    const first = await encryptToText([fromPlain({ xa: "1", yb: "1" }) as SopsMap], "yaml", {
      recipients: [a.recipient],
    });
    const dec = await decryptText(first, "yaml", [a.identity]);
    const again = await encryptToText([fromPlain({ xa: "2", yb: "1" }) as SopsMap], "yaml", {
      recipients: [a.recipient],
      dataKey: dec.dataKey,
      previous: dec.metadata,
    });
    expect(parseEncrypted(again, "yaml").metadata.age).toEqual(dec.metadata.age);
    const values = again.split("\n").filter((l) => /^(xa|yb): /.test(l));
    expect(new Set(values.map((l) => /iv:([^,]+)/.exec(l)?.[1])).size).toBe(2);
    expect(
      toPlain((await decryptText(again, "yaml", [a.identity])).branches[0] as SopsMap),
    ).toEqual({ xa: "2", yb: "1" });
  });

  it("keeps integer-like keys in document order (JS objects would move them)", async () => {
    const a = await makeKey();
    for (const format of ["yaml", "json"] as SopsFormat[]) {
      const src = format === "yaml" ? 'b: 1\n"10": 2\n"2": 3\n' : '{"b": 1, "10": 2, "2": 3}';
      const text = await encryptToText(parsePlain(src, format), format, {
        recipients: [a.recipient],
      });
      const back = (await decryptText(text, format, [a.identity])).branches[0] as SopsMap;
      expect(back.entries.map(([k]) => k)).toEqual(["b", "10", "2"]);
    }
  });

  it("int and float stay distinct through YAML and JSON (1 vs 1.0)", async () => {
    const a = await makeKey();
    for (const format of ["yaml", "json"] as SopsFormat[]) {
      const src = format === "yaml" ? "i: 1\nf: 1.0\n" : '{"i": 1, "f": 1.0}';
      const text = await encryptToText(parsePlain(src, format), format, {
        recipients: [a.recipient],
      });
      expect(text).toMatch(/type:int/);
      expect(text).toMatch(/type:float/);
    }
  });
});

describe("Go number formatting", () => {
  // Values of Go's strconv.FormatFloat, which sops uses for the MAC ('f') and go-yaml for output ('g').
  it("'f', -1", () => {
    expect(goFormatFloat(3.14)).toBe("3.14");
    expect(goFormatFloat(7)).toBe("7");
    expect(goFormatFloat(1e21)).toBe("1000000000000000000000");
    expect(goFormatFloat(1.5e-7)).toBe("0.00000015");
    expect(goFormatFloat(-0.5)).toBe("-0.5");
    expect(goFormatFloat(123456789.125)).toBe("123456789.125");
  });
  it("'g', -1", () => {
    expect(goFormatG(1234567)).toBe("1.234567e+06");
    expect(goFormatG(100000)).toBe("100000");
    expect(goFormatG(1000000)).toBe("1e+06");
    expect(goFormatG(0.0001)).toBe("0.0001");
    expect(goFormatG(0.00001)).toBe("1e-05");
    expect(goFormatG(3.14)).toBe("3.14");
    expect(goFormatG(1e100)).toBe("1e+100");
  });
});

describe("YAML output", () => {
  it("quotes what would read back as another type, as go-yaml does", () => {
    const m = new SopsMap([
      ["a", "true"],
      ["b", "123"],
      ["c", ""],
      ["d", "2024-01-01"],
      ["e", "yes"],
      ["f", "plain text"],
      ["g", "key: value"],
      ["h", "- dash"],
      ["i", "x\ny"],
      ["j", "trailing "],
      ["k", null],
    ]);
    expect(emitPlain([m], "yaml", 2)).toBe(
      [
        'a: "true"',
        'b: "123"',
        'c: ""',
        'd: "2024-01-01"',
        'e: "yes"',
        "f: plain text",
        "g: 'key: value'",
        "h: '- dash'",
        "i: |-",
        "  x",
        "  y",
        "j: 'trailing '",
        "k: null",
        "",
      ].join("\n"),
    );
    // and reads back to the same strings
    const back = toPlain(parsePlain(emitPlain([m], "yaml", 2), "yaml")[0] as SopsMap);
    expect(back).toEqual(toPlain(m));
  });
});
