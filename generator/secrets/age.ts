// The data key wrapped for each age recipient, armored like age's Go armor writer (which is what
// sops stores in `sops.age[].enc`), and the master identities sops would find.

import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Decrypter, Encrypter, armor, identityToRecipient } from "age-encryption";
import { ageIdentityFromOpenSshPrivateKey } from "./ssh-to-age.js";

export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(dataKey));
}

/** The data key, or null when none of the identities opens this armored file. */
export async function unwrapDataKey(
  armored: string,
  identities: readonly string[],
): Promise<Uint8Array | null> {
  if (identities.length === 0) return null;
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return await d.decrypt(armor.decode(armored));
  } catch {
    return null;
  }
}

export async function recipientOf(identity: string): Promise<string> {
  return identityToRecipient(identity);
}

export interface IdentitySet {
  identities: string[];
  /** Where keys were found, for messages ("SOPS_AGE_KEY", a file path). */
  sources: string[];
  /** Places looked at that held nothing. */
  looked: string[];
  problems: string[];
}

/** Parse an age keys file: one identity a line, `#` comments; SOPS_AGE_KEY allows several a line. */
export function parseIdentities(text: string, manyPerLine: boolean): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    for (const word of manyPerLine ? line.split(/\s+/) : [line]) {
      if (!/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(word)) {
        throw new Error(`not an age identity (AGE-SECRET-KEY-1…): ${word.slice(0, 20)}…`);
      }
      out.push(word);
    }
  }
  return out;
}

/** sops' user config directory (age/keysource.go getUserConfigDir + os.UserConfigDir). */
export function userConfigDir(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): string {
  const home = env.HOME ?? homedir();
  if (platform === "darwin") {
    return env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, "Library", "Application Support");
  }
  return env.XDG_CONFIG_HOME ? env.XDG_CONFIG_HOME : join(home, ".config");
}

/**
 * Every master identity sops would load: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the user config keys
 * file, and SOPS_AGE_SSH_PRIVATE_KEY_FILE (an ed25519 key, converted as ssh-to-age does).
 */
export function loadMasterIdentities(env: NodeJS.ProcessEnv): IdentitySet {
  const set: IdentitySet = { identities: [], sources: [], looked: [], problems: [] };
  const add = (source: string, text: string, many: boolean) => {
    try {
      const ids = parseIdentities(text, many);
      if (ids.length > 0) {
        set.identities.push(...ids);
        set.sources.push(source);
      } else set.looked.push(source);
    } catch (e) {
      set.problems.push(`${source}: ${(e as Error).message}`);
    }
  };
  if (env.SOPS_AGE_KEY !== undefined) add("SOPS_AGE_KEY", env.SOPS_AGE_KEY, true);
  else set.looked.push("SOPS_AGE_KEY");
  if (env.SOPS_AGE_KEY_FILE !== undefined) {
    try {
      add(env.SOPS_AGE_KEY_FILE, readFileSync(env.SOPS_AGE_KEY_FILE, "utf8"), false);
    } catch (e) {
      set.problems.push(`SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE}): ${(e as Error).message}`);
    }
  } else set.looked.push("SOPS_AGE_KEY_FILE");
  const configFile = join(userConfigDir(env), "sops", "age", "keys.txt");
  try {
    add(configFile, readFileSync(configFile, "utf8"), false);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") set.looked.push(configFile);
    else set.problems.push(`${configFile}: ${(e as Error).message}`);
  }
  if (env.SOPS_AGE_SSH_PRIVATE_KEY_FILE) {
    try {
      const id = ageIdentityFromOpenSshPrivateKey(
        readFileSync(env.SOPS_AGE_SSH_PRIVATE_KEY_FILE, "utf8"),
      );
      set.identities.push(id);
      set.sources.push(env.SOPS_AGE_SSH_PRIVATE_KEY_FILE);
    } catch (e) {
      set.problems.push(`SOPS_AGE_SSH_PRIVATE_KEY_FILE: ${(e as Error).message}`);
    }
  }
  return set;
}
