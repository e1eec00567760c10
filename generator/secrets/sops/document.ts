// A sops document: parse any store, decrypt with the MAC checked, encrypt, emit.
// The tree walk and the MAC follow sops.go (Tree.Encrypt / Tree.Decrypt, common.DecryptTree).

import { createHash, randomBytes } from "node:crypto";
import { unwrapDataKey, wrapDataKey } from "../age.js";
import { decryptScalar, encryptScalar, SopsCipherError } from "./cipher.js";
import { emitDotenv, flatten, parseDotenv, unflatten } from "./dotenv-store.js";
import { emitJson, parseJson } from "./json-store.js";
import {
  DEFAULT_UNENCRYPTED_SUFFIX,
  goRfc3339,
  metadataFromTree,
  metadataToTree,
  nowRfc3339,
  SOPS_FORMAT_VERSION,
  type AgeEntry,
  type SopsMetadata,
} from "./metadata.js";
import { scalarBytes, SopsMap, type SopsValue } from "./tree.js";
import { emitYaml, parseYaml, SopsFormatError } from "./yaml-store.js";

export type SopsFormat = "yaml" | "json" | "dotenv" | "binary";
export const SOPS_FORMATS: readonly SopsFormat[] = ["yaml", "json", "dotenv", "binary"];

/** sops' choice of store by file name. */
export function formatForPath(path: string): SopsFormat {
  if (/\.ya?ml$/i.test(path)) return "yaml";
  if (/\.json$/i.test(path)) return "json";
  if (/\.env$/i.test(path)) return "dotenv";
  return "binary";
}

export interface EncryptedDocument {
  branches: SopsMap[];
  metadata: SopsMetadata;
}

export class SopsError extends Error {
  override name = "SopsError";
  constructor(
    message: string,
    readonly code: string,
    readonly line?: number,
    readonly column?: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
  0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

function wrapFormatError<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SopsFormatError)
      throw new SopsError(e.message, "sops-format", e.line, e.column);
    throw e;
  }
}

// ───────────────────────────── plain documents ─────────────────────────────

/** Plaintext input → branches (binary: one `data` key holding the whole text). */
export function parsePlain(text: string, format: SopsFormat): SopsMap[] {
  return wrapFormatError(() => {
    switch (format) {
      case "yaml":
        return parseYaml(text);
      case "json":
        return [parseJson(text)];
      case "dotenv":
        return [parseDotenv(text)];
      case "binary":
        return [new SopsMap([["data", text]])];
    }
  });
}

/** Decrypted branches → plaintext output (binary: the `data` value itself). */
export function emitPlain(branches: SopsMap[], format: SopsFormat, indent?: number): string {
  return wrapFormatError(() => {
    switch (format) {
      case "yaml":
        return emitYaml(branches, indent ?? 4);
      case "json":
        return emitJson(branches[0] ?? new SopsMap(), indent);
      case "dotenv":
        return emitDotenv(branches[0] ?? new SopsMap());
      case "binary": {
        const data = branches.length === 1 ? branches[0]?.get("data") : undefined;
        if (typeof data !== "string") {
          throw new SopsError(
            "no binary data found in tree (binary output needs a single `data` key)",
            "sops-binary",
          );
        }
        return data;
      }
    }
  });
}

// ───────────────────────────── encrypted documents ─────────────────────────────

export function parseEncrypted(text: string, format: SopsFormat): EncryptedDocument {
  return wrapFormatError(() => {
    let branches: SopsMap[];
    let meta: SopsMap | undefined;
    if (format === "dotenv") {
      const flat = parseDotenv(text);
      const m = new SopsMap();
      const rest = new SopsMap();
      for (const [k, v] of flat.entries) {
        if (k.startsWith("sops_")) m.entries.push([k.slice(5), v]);
        else rest.entries.push([k, v]);
      }
      branches = [rest];
      if (m.entries.length > 0) meta = unflatten(m);
    } else {
      branches = format === "yaml" ? parseYaml(text) : [parseJson(text)];
      branches.forEach((b, i) => {
        const v = b.get("sops");
        if (v !== undefined) {
          if (i === 0) {
            if (!(v instanceof SopsMap))
              throw new SopsFormatError("the `sops` entry is not a mapping");
            meta = v;
          }
          b.delete("sops");
        }
      });
    }
    if (!meta) {
      throw new SopsError(
        "sops metadata not found: the file is not encrypted with sops",
        "sops-not-encrypted",
      );
    }
    return { branches, metadata: metadataFromTree(meta) };
  });
}

export function emitEncrypted(doc: EncryptedDocument, format: SopsFormat, indent?: number): string {
  const meta = metadataToTree(doc.metadata);
  return wrapFormatError(() => {
    if (format === "dotenv") {
      const [first = new SopsMap()] = doc.branches;
      const out = new SopsMap([...first.entries]);
      // sops builds the flattened metadata from a Go map: its keys come out sorted at every level.
      flatten(sortedDeep(meta), "sops_", out);
      return emitDotenv(out);
    }
    const branches = doc.branches.map((b, i) =>
      i === 0 ? new SopsMap([...b.entries, ["sops", meta]]) : b,
    );
    if (format === "yaml") return emitYaml(branches, indent ?? 4);
    // JSON, and binary, whose encrypted form is a JSON envelope.
    return emitJson(branches[0] ?? new SopsMap([["sops", meta]]), indent);
  });
}

function sortedDeep(v: SopsValue): SopsValue {
  if (v instanceof SopsMap) {
    return new SopsMap(
      [...v.entries]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, x]) => [k, sortedDeep(x)]),
    );
  }
  return Array.isArray(v) ? v.map(sortedDeep) : v;
}

function shouldEncrypt(
  path: string[],
  md: Pick<
    SopsMetadata,
    "unencryptedSuffix" | "encryptedSuffix" | "unencryptedRegex" | "encryptedRegex"
  >,
): boolean {
  let encrypted = true;
  if (md.unencryptedSuffix && path.some((p) => p.endsWith(md.unencryptedSuffix as string)))
    encrypted = false;
  if (md.encryptedSuffix) encrypted = path.some((p) => p.endsWith(md.encryptedSuffix as string));
  if (md.unencryptedRegex) {
    const re = new RegExp(md.unencryptedRegex, "u");
    if (path.some((p) => re.test(p))) encrypted = false;
  }
  if (md.encryptedRegex) {
    const re = new RegExp(md.encryptedRegex, "u");
    encrypted = path.some((p) => re.test(p));
  }
  return encrypted;
}

type Leaf = string | bigint | number | boolean;

/** Walk every non-null leaf in document order, replacing it with `f(leaf, path)`. */
function mapLeaves(
  v: SopsValue,
  path: string[],
  f: (leaf: Leaf, path: string[]) => SopsValue,
): SopsValue {
  if (v === null) return null;
  if (v instanceof SopsMap)
    return new SopsMap(v.entries.map(([k, x]) => [k, mapLeaves(x, [...path, k], f)]));
  if (Array.isArray(v)) return v.map((x) => mapLeaves(x, path, f));
  return f(v, path);
}

/** The data key, from the first age entry one of the identities opens. */
export async function dataKeyFor(
  md: SopsMetadata,
  identities: readonly string[],
): Promise<Uint8Array> {
  for (const e of md.age) {
    const key = await unwrapDataKey(e.enc, identities);
    if (key) {
      if (key.length !== 32) throw new SopsError("the data key is not 32 bytes", "sops-data-key");
      return key;
    }
  }
  const recipients = md.age.map((e) => e.recipient);
  throw new SopsError(
    recipients.length
      ? `none of the available age keys can decrypt this file (it is encrypted to ${recipients.join(", ")})`
      : "this file has no age recipients (other key types such as PGP or KMS are not supported)",
    "sops-no-key",
    undefined,
    undefined,
    "put the matching age identity in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or ~/.config/sops/age/keys.txt",
  );
}

/** Decrypt every value and check the MAC: a changed, removed or reordered value is an error. */
export function decryptWithKey(doc: EncryptedDocument, dataKey: Uint8Array): SopsMap[] {
  const md = doc.metadata;
  const hash = createHash("sha512");
  if (md.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const branches = doc.branches.map(
    (b) =>
      mapLeaves(b, [], (leaf, path) => {
        const enc = shouldEncrypt(path, md);
        let v: Leaf = leaf;
        if (enc) {
          if (typeof leaf !== "string") {
            throw new SopsError(
              `expected an encrypted value at ${path.join(".")}, found a ${typeof leaf}`,
              "sops-tampered",
            );
          }
          try {
            v = decryptScalar(leaf, dataKey, `${path.join(":")}:`);
          } catch (e) {
            if (e instanceof SopsCipherError) {
              throw new SopsError(
                `cannot decrypt the value at ${path.join(".") || "(root)"}: ${e.message}`,
                "sops-tampered",
              );
            }
            throw e;
          }
        }
        if (!md.macOnlyEncrypted || enc) hash.update(Buffer.from(scalarBytes(v), "utf8"));
        return v;
      }) as SopsMap,
  );
  const computed = hash.digest("hex").toUpperCase();
  let stored: Leaf;
  try {
    stored = decryptScalar(md.mac, dataKey, goRfc3339(md.lastmodified));
  } catch (e) {
    throw new SopsError(`cannot decrypt the MAC: ${(e as Error).message}`, "sops-mac");
  }
  if (stored !== computed) {
    throw new SopsError(
      "MAC mismatch: the file was changed without its MAC (a value was edited, removed or reordered)",
      "sops-mac",
    );
  }
  return branches;
}

export async function decryptDocument(
  doc: EncryptedDocument,
  identities: readonly string[],
): Promise<{ branches: SopsMap[]; dataKey: Uint8Array }> {
  const dataKey = await dataKeyFor(doc.metadata, identities);
  return { branches: decryptWithKey(doc, dataKey), dataKey };
}

export interface EncryptOptions {
  /** age recipients (age1…) to wrap the data key for. */
  recipients: readonly string[];
  /** Keep this data key (an edit of an existing file); a fresh one otherwise. */
  dataKey?: Uint8Array;
  /** The file's previous metadata: its encryption rule and, when the data key is kept, its wrapped keys. */
  previous?: SopsMetadata;
  /** Encryption rule for a new file (from a .sops.yaml creation rule); default `_unencrypted` suffix. */
  rules?: EncryptionRules;
  now?: Date;
}

export interface EncryptionRules {
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted?: boolean;
}

export async function encryptDocument(
  plain: SopsMap[],
  opts: EncryptOptions,
): Promise<EncryptedDocument> {
  if (opts.recipients.length === 0)
    throw new SopsError("no age recipients to encrypt to", "sops-no-recipients");
  const dataKey = opts.dataKey ?? randomBytes(32);
  const keepKey = opts.dataKey !== undefined && opts.previous !== undefined;
  const prev = opts.previous;
  const rules = prev
    ? {
        unencryptedSuffix: prev.unencryptedSuffix,
        encryptedSuffix: prev.encryptedSuffix,
        unencryptedRegex: prev.unencryptedRegex,
        encryptedRegex: prev.encryptedRegex,
      }
    : newRules(opts.rules);
  const macOnlyEncrypted = prev?.macOnlyEncrypted ?? opts.rules?.macOnlyEncrypted ?? false;
  const hash = createHash("sha512");
  if (macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const branches = plain.map(
    (b) =>
      mapLeaves(b, [], (leaf, path) => {
        const enc = shouldEncrypt(path, rules);
        if (!macOnlyEncrypted || enc) hash.update(Buffer.from(scalarBytes(leaf), "utf8"));
        return enc ? encryptScalar(leaf, dataKey, `${path.join(":")}:`) : leaf;
      }) as SopsMap,
  );
  const lastmodified = nowRfc3339(opts.now);
  const mac = encryptScalar(hash.digest("hex").toUpperCase(), dataKey, lastmodified);
  const age: AgeEntry[] = [];
  for (const r of unique(opts.recipients)) {
    const old = keepKey ? prev?.age.find((e) => e.recipient === r) : undefined;
    age.push(old ?? { recipient: r, enc: await wrapDataKey(dataKey, r) });
  }
  return {
    branches,
    metadata: {
      age,
      lastmodified,
      mac,
      ...rules,
      macOnlyEncrypted,
      version: SOPS_FORMAT_VERSION,
      // Other master key kinds hold the data key: valid only while it is kept.
      foreign: (prev?.foreign ?? []).filter(
        ([, v]) => keepKey || v === null || (Array.isArray(v) && v.length === 0),
      ),
    },
  };
}

function newRules(r: EncryptionRules | undefined): Omit<EncryptionRules, "macOnlyEncrypted"> {
  const { unencryptedSuffix, encryptedSuffix, unencryptedRegex, encryptedRegex } = r ?? {};
  if (!unencryptedSuffix && !encryptedSuffix && !unencryptedRegex && !encryptedRegex) {
    return { unencryptedSuffix: DEFAULT_UNENCRYPTED_SUFFIX };
  }
  return { unencryptedSuffix, encryptedSuffix, unencryptedRegex, encryptedRegex };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

// ───────────────────────────── one-call helpers ─────────────────────────────

/** Decrypt a file's text to branches, MAC checked. */
export async function decryptText(
  text: string,
  format: SopsFormat,
  identities: readonly string[],
): Promise<{ branches: SopsMap[]; dataKey: Uint8Array; metadata: SopsMetadata }> {
  const doc = parseEncrypted(text, format === "binary" ? "json" : format);
  const { branches, dataKey } = await decryptDocument(doc, identities);
  return { branches, dataKey, metadata: doc.metadata };
}

/** Encrypt plaintext branches and emit them in `format` (binary input → a JSON envelope, as sops does). */
export async function encryptToText(
  plain: SopsMap[],
  outFormat: SopsFormat,
  opts: EncryptOptions & { indent?: number },
): Promise<string> {
  const doc = await encryptDocument(plain, opts);
  return emitEncrypted(doc, outFormat, opts.indent);
}

/** The age recipients a file is encrypted to, without decrypting it. */
export function recipientsOf(text: string, format: SopsFormat): string[] {
  return parseEncrypted(text, format === "binary" ? "json" : format).metadata.age.map(
    (e) => e.recipient,
  );
}
