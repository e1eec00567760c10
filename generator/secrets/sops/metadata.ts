// The `sops` metadata block (stores/stores.go): reading every layout sops has written, and
// writing the layout of sops 3.10+ (empty key lists omitted).

import { SopsMap, type SopsValue } from "./tree.js";
import { SopsFormatError } from "./yaml-store.js";

/** The sops release whose file layout we write. sops itself never interprets this field. */
export const SOPS_FORMAT_VERSION = "3.10.2";
export const DEFAULT_UNENCRYPTED_SUFFIX = "_unencrypted";

export interface AgeEntry {
  recipient: string;
  enc: string;
}

export interface SopsMetadata {
  age: AgeEntry[];
  lastmodified: string;
  mac: string;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: string;
  encryptedRegex?: string;
  macOnlyEncrypted: boolean;
  version: string;
  /** Master keys of other kinds (pgp, kms, …) as read; kept when the data key is kept. */
  foreign: Array<[string, SopsValue]>;
}

const FOREIGN_KEYS = ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "pgp"];

function str(v: SopsValue | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function ageEntries(v: SopsValue | undefined): AgeEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new SopsFormatError("sops.age must be a list");
  return v.map((e) => {
    if (!(e instanceof SopsMap)) throw new SopsFormatError("sops.age entries must be mappings");
    const recipient = str(e.get("recipient"));
    const enc = str(e.get("enc"));
    if (!recipient || !enc)
      throw new SopsFormatError("sops.age entries need `recipient` and `enc`");
    return { recipient, enc };
  });
}

export function metadataFromTree(m: SopsMap): SopsMetadata {
  let age = ageEntries(m.get("age"));
  const groups = m.get("key_groups");
  if (Array.isArray(groups) && groups.length > 0) {
    if (groups.length > 1) {
      throw new SopsFormatError(
        "files with several key groups (Shamir secret sharing) are not supported",
      );
    }
    const g = groups[0];
    if (g instanceof SopsMap) age = [...age, ...ageEntries(g.get("age"))];
  }
  const lastmodified = str(m.get("lastmodified"));
  if (!lastmodified) throw new SopsFormatError("sops metadata has no lastmodified");
  const rules = {
    unencryptedSuffix: str(m.get("unencrypted_suffix")) || undefined,
    encryptedSuffix: str(m.get("encrypted_suffix")) || undefined,
    unencryptedRegex: str(m.get("unencrypted_regex")) || undefined,
    encryptedRegex: str(m.get("encrypted_regex")) || undefined,
  };
  if (str(m.get("unencrypted_comment_regex")) || str(m.get("encrypted_comment_regex"))) {
    throw new SopsFormatError(
      "files using encrypted_comment_regex/unencrypted_comment_regex are not supported",
    );
  }
  const count = Object.values(rules).filter((x) => x !== undefined).length;
  if (count > 1) {
    throw new SopsFormatError(
      "cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex or unencrypted_regex in the same file",
    );
  }
  if (count === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  const mo = m.get("mac_only_encrypted");
  const foreign: Array<[string, SopsValue]> = [];
  for (const k of FOREIGN_KEYS) {
    const v = m.get(k);
    // Empty lists (`kms: []`, `"kms": null`) are kept too, so a file written by sops < 3.10
    // keeps its layout when we rewrite it.
    if (v !== undefined) foreign.push([k, v]);
  }
  return {
    age,
    lastmodified,
    mac: str(m.get("mac")) ?? "",
    ...rules,
    macOnlyEncrypted: mo === true || mo === "true",
    version: str(m.get("version")) ?? "",
    foreign,
  };
}

/** The metadata block in sops 3.10's field order. */
export function metadataToTree(md: SopsMetadata): SopsMap {
  const m = new SopsMap();
  const foreign = new Map(md.foreign);
  for (const k of ["kms", "gcp_kms", "hckms", "azure_kv", "hc_vault"]) {
    const v = foreign.get(k);
    if (v !== undefined) m.entries.push([k, v]);
  }
  if (md.age.length > 0) {
    m.entries.push([
      "age",
      md.age.map(
        (e) =>
          new SopsMap([
            ["recipient", e.recipient],
            ["enc", e.enc],
          ]),
      ),
    ]);
  }
  m.entries.push(["lastmodified", md.lastmodified]);
  m.entries.push(["mac", md.mac]);
  const pgp = foreign.get("pgp");
  if (pgp !== undefined) m.entries.push(["pgp", pgp]);
  if (md.unencryptedSuffix) m.entries.push(["unencrypted_suffix", md.unencryptedSuffix]);
  if (md.encryptedSuffix) m.entries.push(["encrypted_suffix", md.encryptedSuffix]);
  if (md.unencryptedRegex) m.entries.push(["unencrypted_regex", md.unencryptedRegex]);
  if (md.encryptedRegex) m.entries.push(["encrypted_regex", md.encryptedRegex]);
  if (md.macOnlyEncrypted) m.entries.push(["mac_only_encrypted", true]);
  m.entries.push(["version", md.version]);
  return m;
}

/**
 * Go's `time.Parse(RFC3339)` then `Format(RFC3339)`: the exact text sops uses as the MAC's
 * additional data. Fractions are dropped and a zero offset becomes "Z".
 */
export function goRfc3339(s: string): string {
  const m = /^(\d{4}-\d\d-\d\d)[Tt](\d\d:\d\d:\d\d)(\.\d+)?([Zz]|[+-]\d\d:\d\d)$/.exec(s);
  if (!m) throw new SopsFormatError(`lastmodified is not an RFC 3339 time: ${s}`);
  const offset = m[4] as string;
  const zone = /^[Zz]$|^[+-]00:00$/.test(offset) ? "Z" : offset;
  return `${m[1]}T${m[2]}${zone}`;
}

/** Now, as sops writes it: UTC, whole seconds. */
export function nowRfc3339(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d+Z$/, "Z");
}
