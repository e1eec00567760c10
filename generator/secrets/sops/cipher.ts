// One sops value: AES-256-GCM with a 32-byte IV, the tag stored apart, and the key path as
// additional data (aes/cipher.go). Empty strings stay empty strings, unencrypted, as in sops.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { scalarBytes } from "./tree.js";

export type EncryptedType = "str" | "int" | "float" | "bool" | "bytes" | "comment";

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export class SopsCipherError extends Error {
  override name = "SopsCipherError";
}

export function isEncryptedValue(s: string): boolean {
  return ENC_RE.test(s);
}

/** `sops.Encrypt`: the value's bytes sealed under `key` with `aad` (path joined by ":" plus ":"). */
export function encryptScalar(
  value: string | bigint | number | boolean,
  key: Uint8Array,
  aad: string,
  iv: Uint8Array = randomBytes(32),
): string {
  if (value === "") return "";
  const type: EncryptedType =
    typeof value === "string"
      ? "str"
      : typeof value === "bigint"
        ? "int"
        : typeof value === "number"
          ? "float"
          : "bool";
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad, "utf8"));
  const data = Buffer.concat([c.update(Buffer.from(scalarBytes(value), "utf8")), c.final()]);
  const tag = c.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString("base64")},iv:${Buffer.from(iv).toString("base64")},tag:${tag.toString("base64")},type:${type}]`;
}

/** `sops.Decrypt`: the typed plaintext. Throws SopsCipherError on any mismatch. */
export function decryptScalar(
  text: string,
  key: Uint8Array,
  aad: string,
): string | bigint | number | boolean {
  if (text === "") return "";
  const m = ENC_RE.exec(text);
  if (!m) throw new SopsCipherError(`value does not match sops' data format: ${text.slice(0, 40)}`);
  const [, data64 = "", iv64 = "", tag64 = "", type = ""] = m;
  const data = strictBase64(data64, "data");
  const iv = strictBase64(iv64, "iv");
  const tag = strictBase64(tag64, "tag");
  if (iv.length === 0) throw new SopsCipherError("empty IV");
  if (tag.length !== 16) throw new SopsCipherError(`tag must be 16 bytes, got ${tag.length}`);
  let plain: Buffer;
  try {
    const d = createDecipheriv("aes-256-gcm", key, iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(tag);
    plain = Buffer.concat([d.update(data), d.final()]);
  } catch {
    throw new SopsCipherError(
      "could not decrypt with AES_GCM (wrong key, or the value or its path was changed)",
    );
  }
  const s = plain.toString("utf8");
  switch (type) {
    case "str":
    case "comment":
    case "bytes":
      return s;
    case "int": {
      if (!/^[+-]?\d+$/.test(s))
        throw new SopsCipherError(`invalid int value ${JSON.stringify(s)}`);
      return BigInt(s);
    }
    case "float": {
      const f = parseGoFloat(s);
      if (f === undefined) throw new SopsCipherError(`invalid float value ${JSON.stringify(s)}`);
      return f;
    }
    case "bool": {
      // strconv.ParseBool
      if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
      if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
      throw new SopsCipherError(`invalid bool value ${JSON.stringify(s)}`);
    }
    default:
      throw new SopsCipherError(`unknown datatype ${type}`);
  }
}

/** The type tag of an encrypted value, without decrypting it. */
export function encryptedType(text: string): string | undefined {
  return ENC_RE.exec(text)?.[4];
}

function strictBase64(s: string, what: string): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new SopsCipherError(`error base64-decoding ${what}`);
  }
  return Buffer.from(s, "base64");
}

function parseGoFloat(s: string): number | undefined {
  if (s === "NaN") return NaN;
  if (/^[+]?Inf(inity)?$/i.test(s)) return Infinity;
  if (/^-Inf(inity)?$/i.test(s)) return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}
