// ed25519 SSH host keys in OpenSSH's own formats (PROTOCOL.key), made with node:crypto:
// the private key as `ssh-keygen -t ed25519 -N '' -C ''` writes it, the public key as one line.

import { generateKeyPairSync, randomBytes } from "node:crypto";

export interface Ed25519Key {
  /** 32-byte seed (RFC 8032 private key). */
  seed: Uint8Array;
  /** 32-byte public key. */
  publicKey: Uint8Array;
  comment: string;
}

export class SshKeyError extends Error {
  override name = "SshKeyError";
}

export function generateEd25519(): Ed25519Key {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const d = privateKey.export({ format: "jwk" }).d;
  const x = publicKey.export({ format: "jwk" }).x;
  if (!d || !x) throw new SshKeyError("node:crypto did not export the ed25519 key");
  return { seed: Buffer.from(d, "base64url"), publicKey: Buffer.from(x, "base64url"), comment: "" };
}

const sshString = (b: Uint8Array | string): Buffer => {
  const body = typeof b === "string" ? Buffer.from(b, "utf8") : Buffer.from(b);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** The public key blob: string "ssh-ed25519", string key. */
export function publicKeyBlob(pub: Uint8Array): Buffer {
  return Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
}

/** `ssh-ed25519 AAAA…` plus ` comment` when there is one, and a newline (what `ssh-keygen -y` prints). */
export function formatPublicKey(key: Pick<Ed25519Key, "publicKey" | "comment">): string {
  const base = `ssh-ed25519 ${publicKeyBlob(key.publicKey).toString("base64")}`;
  return key.comment ? `${base} ${key.comment}\n` : `${base}\n`;
}

/** An unencrypted openssh-key-v1 PEM, wrapped at 70 columns like ssh-keygen. */
export function formatPrivateKey(
  key: Ed25519Key,
  checkInt: number = randomBytes(4).readUInt32BE(),
): string {
  let priv = Buffer.concat([
    u32(checkInt),
    u32(checkInt),
    sshString("ssh-ed25519"),
    sshString(key.publicKey),
    sshString(Buffer.concat([Buffer.from(key.seed), Buffer.from(key.publicKey)])),
    sshString(key.comment),
  ]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const blob = Buffer.concat([
    Buffer.from("openssh-key-v1\0", "latin1"),
    sshString("none"),
    sshString("none"),
    sshString(""),
    u32(1),
    sshString(publicKeyBlob(key.publicKey)),
    sshString(priv),
  ]);
  const b64 = blob.toString("base64");
  const lines = b64.match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

class Reader {
  off = 0;
  constructor(readonly b: Buffer) {}
  u32(): number {
    if (this.off + 4 > this.b.length) throw new SshKeyError("truncated key");
    const v = this.b.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    if (this.off + n > this.b.length) throw new SshKeyError("truncated key");
    const v = this.b.subarray(this.off, this.off + n);
    this.off += n;
    return v;
  }
  str(): string {
    return this.bytes().toString("utf8");
  }
}

/** Parse an unencrypted ed25519 openssh-key-v1 private key. */
export function parsePrivateKey(pem: string): Ed25519Key {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(
    pem,
  );
  if (!m) throw new SshKeyError("not an OpenSSH private key (no BEGIN OPENSSH PRIVATE KEY block)");
  const blob = Buffer.from((m[1] as string).replace(/\s+/g, ""), "base64");
  const magic = "openssh-key-v1\0";
  if (blob.subarray(0, magic.length).toString("latin1") !== magic)
    throw new SshKeyError("bad OpenSSH key magic");
  const r = new Reader(blob.subarray(magic.length));
  const cipher = r.str();
  const kdf = r.str();
  r.bytes();
  if (cipher !== "none" || kdf !== "none")
    throw new SshKeyError("passphrase-protected SSH keys are not supported");
  if (r.u32() !== 1) throw new SshKeyError("expected exactly one key");
  r.bytes(); // public blob
  const p = new Reader(r.bytes());
  if (p.u32() !== p.u32()) throw new SshKeyError("corrupt private key (check ints differ)");
  const type = p.str();
  if (type !== "ssh-ed25519") throw new SshKeyError(`expected an ssh-ed25519 key, got ${type}`);
  const publicKey = Buffer.from(p.bytes());
  const both = p.bytes();
  if (both.length !== 64 || publicKey.length !== 32)
    throw new SshKeyError("bad ed25519 key length");
  const comment = p.str();
  return { seed: Buffer.from(both.subarray(0, 32)), publicKey, comment };
}

/** Parse `ssh-ed25519 AAAA… [comment]`. */
export function parsePublicKey(line: string): Uint8Array {
  const parts = line.trim().split(/\s+/);
  if (parts[0] !== "ssh-ed25519" || !parts[1])
    throw new SshKeyError("not an ssh-ed25519 public key line");
  const r = new Reader(Buffer.from(parts[1], "base64"));
  if (r.str() !== "ssh-ed25519") throw new SshKeyError("public key blob is not ssh-ed25519");
  const key = r.bytes();
  if (key.length !== 32) throw new SshKeyError("bad ed25519 public key length");
  return Buffer.from(key);
}
