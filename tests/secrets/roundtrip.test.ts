// Many generated documents with awkward strings: our YAML/JSON output must read back to the same
// values (checked by an independent parser too), and our encrypted files must decrypt with
// sops-age to the same data.

import { describe, expect, it } from "vitest";
import { parse as yamlParse } from "yaml";
import { decryptSops } from "sops-age";
import { generateIdentity, identityToRecipient } from "age-encryption";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
} from "../../generator/secrets/sops/document.js";
import { fromPlain, SopsMap, toPlain } from "../../generator/secrets/sops/tree.js";

// A small deterministic PRNG (mulberry32), so failures reproduce.
function rng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AWKWARD = [
  "",
  " ",
  "plain",
  "with space",
  " leading",
  "trailing ",
  "colon: inside",
  "hash # inside",
  "#start",
  "- dash",
  "-dash",
  "? q",
  "[x]",
  "{y}",
  "'single'",
  '"double"',
  "back\\slash",
  "multi\nline",
  "multi\nline\n",
  "ends\n\n",
  "\nstarts with newline",
  "tab\there",
  "true",
  "False",
  "yes",
  "no",
  "on",
  "null",
  "~",
  "123",
  "-7",
  "1.5",
  "1e3",
  "0x1F",
  "0o17",
  ".inf",
  "2024-02-29",
  "12:30:45",
  "ünïcødé ✓",
  "emoji 🔑",
  "a: b: c",
  "key:value",
  "---",
  "...",
  "%percent",
  "@at",
  "`tick",
  "&anchor",
  "*alias",
  "!tag",
  "|pipe",
  ">fold",
  "<html>&amp;</html>",
  "\u2028sep",
  "ctrl\u0001char",
];

function gen(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth > 2 || pick < 0.55) {
    const k = r();
    if (k < 0.6) return AWKWARD[Math.floor(r() * AWKWARD.length)];
    if (k < 0.72) return Math.floor(r() * 2000) - 1000;
    if (k < 0.82) return Math.round((r() - 0.5) * 1e6) / 1000;
    if (k < 0.92) return r() < 0.5;
    return null;
  }
  if (pick < 0.75) return Array.from({ length: Math.floor(r() * 4) }, () => gen(r, depth + 1));
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const base = AWKWARD[Math.floor(r() * AWKWARD.length)] as string;
    // keys: the awkward strings minus those that cannot be keys in every format, made unique
    o[`${base.replace(/[\n\u0001\u2028]/g, "_")}#${i}`] = gen(r, depth + 1);
  }
  return o;
}

function doc(r: () => number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = 1 + Math.floor(r() * 5);
  for (let i = 0; i < n; i++)
    o[`k${i}_${AWKWARD[Math.floor(r() * AWKWARD.length)]?.replace(/\W/g, "")}`] = gen(r, 0);
  return o;
}

/** JSON numbers: sops-age (and JSON.parse) cannot tell 2.0 from 2; compare as plain data. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

describe("round trips", () => {
  it("plaintext YAML and JSON we emit read back identically (ours and the yaml package)", () => {
    const r = rng(42);
    for (let i = 0; i < 300; i++) {
      const d = doc(r);
      const tree = fromPlain(d) as SopsMap;
      for (const indent of [2, 4]) {
        const y = emitPlain([tree], "yaml", indent);
        let back: unknown;
        try {
          back = toPlain(parsePlain(y, "yaml")[0] as SopsMap);
        } catch (e) {
          throw new Error(`${(e as Error).message}\n${y}`);
        }
        expect(back, y).toEqual(d);
        expect(yamlParse(y), y).toEqual(d);
      }
      const j = emitPlain([tree], "json", 2);
      expect(JSON.parse(j)).toEqual(plain(d));
      expect(toPlain(parsePlain(j, "json")[0] as SopsMap)).toEqual(d);
    }
  });

  it("encrypted documents decrypt with sops-age and with ours to the same data", async () => {
    const identity = await generateIdentity();
    const recipient = await identityToRecipient(identity);
    const r = rng(7);
    for (let i = 0; i < 40; i++) {
      const d = doc(r);
      for (const format of ["yaml", "json"] as const) {
        const text = await encryptToText([fromPlain(d) as SopsMap], format, {
          recipients: [recipient],
          indent: 2,
        });
        const ours = await decryptText(text, format, [identity]);
        expect(toPlain(ours.branches[0] as SopsMap)).toEqual(d);
        const oracle = await decryptSops(text, { secretKey: identity, fileType: format });
        expect(plain(oracle), text).toEqual(plain(d));
      }
    }
  });
});
