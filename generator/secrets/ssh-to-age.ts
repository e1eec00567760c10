// What ssh-to-age (and sops-nix) do: an ed25519 SSH key as an X25519 age key.
// Public: the Edwards point mapped to Montgomery u, bech32 "age". Private: the first 32 bytes of
// SHA-512(seed), unclamped as ssh-to-age writes them, bech32 "AGE-SECRET-KEY-" upper-cased.

import { createHash } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bech32 } from "@scure/base";
import { parsePrivateKey, parsePublicKey } from "./ssh-keys.js";

export function ageRecipientFromEd25519(publicKey: Uint8Array): string {
  const u = ed25519.utils.toMontgomery(publicKey);
  return bech32.encode("age", bech32.toWords(u), false);
}

export function ageIdentityFromEd25519Seed(seed: Uint8Array): string {
  const scalar = createHash("sha512").update(seed).digest().subarray(0, 32);
  return bech32.encode("AGE-SECRET-KEY-", bech32.toWords(scalar), false).toUpperCase();
}

export function ageRecipientFromSshPublicKey(line: string): string {
  return ageRecipientFromEd25519(parsePublicKey(line));
}

export function ageIdentityFromOpenSshPrivateKey(pem: string): string {
  return ageIdentityFromEd25519Seed(parsePrivateKey(pem).seed);
}
