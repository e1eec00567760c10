// `.sops.yaml` creation rules (sops config/config.go): the first rule whose `path_regex` matches
// the file's path relative to the config's directory, or that has none, gives the age recipients
// and the encryption rule. Unknown keys are ignored, as sops' YAML decoding ignores them.

import { readFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { parse } from "yaml";
import type { EncryptionRules } from "./sops/document.js";

export interface CreationRule {
  pathRegex?: string;
  age: string[];
  rules: EncryptionRules;
}

export interface SopsConfig {
  file: string;
  creationRules: CreationRule[];
}

export class SopsConfigError extends Error {
  override name = "SopsConfigError";
}

function keyList(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === "string")
    return v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v)) return v.flatMap((x) => keyList(x, what));
  throw new SopsConfigError(`${what} must be a string or a list of strings`);
}

export function parseSopsConfig(text: string, file: string): SopsConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new SopsConfigError(`${file}: invalid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const rulesIn = (doc as { creation_rules?: unknown } | null)?.creation_rules;
  if (rulesIn === undefined || rulesIn === null) return { file, creationRules: [] };
  if (!Array.isArray(rulesIn)) throw new SopsConfigError(`${file}: creation_rules must be a list`);
  const creationRules = rulesIn.map((entry: unknown, i): CreationRule => {
    const at = `${file}: creation_rules[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw new SopsConfigError(
        `${at} must be a mapping, e.g. \`- age: age1…\` (got ${entry === null ? "null" : Array.isArray(entry) ? "a list" : typeof entry})`,
      );
    const r = entry as Record<string, unknown>;
    const age = keyList(r.age, `${at}.age`);
    if (Array.isArray(r.key_groups)) {
      if (r.key_groups.length > 1) {
        throw new SopsConfigError(
          `${at}: several key_groups (Shamir secret sharing) are not supported`,
        );
      }
      for (const g of r.key_groups as Array<Record<string, unknown>>)
        age.push(...keyList(g?.age, `${at}.key_groups.age`));
    }
    const s = (k: string) =>
      typeof r[k] === "string" && r[k] !== "" ? (r[k] as string) : undefined;
    return {
      pathRegex: s("path_regex"),
      age,
      rules: {
        unencryptedSuffix: s("unencrypted_suffix"),
        encryptedSuffix: s("encrypted_suffix"),
        unencryptedRegex: s("unencrypted_regex"),
        encryptedRegex: s("encrypted_regex"),
        macOnlyEncrypted: r.mac_only_encrypted === true,
      },
    };
  });
  return { file, creationRules };
}

export function loadSopsConfig(file: string): SopsConfig {
  return parseSopsConfig(readFileSync(file, "utf8"), file);
}

/** The rule sops would pick for `filePath`; throws when none matches. */
export function ruleFor(config: SopsConfig, filePath: string): CreationRule {
  const rel = relative(dirname(resolve(config.file)), resolve(filePath));
  const path = rel.startsWith("..") ? resolve(filePath) : rel.split(sep).join("/");
  for (const r of config.creationRules) {
    if (r.pathRegex === undefined) return r;
    let re: RegExp;
    try {
      re = new RegExp(r.pathRegex, "u");
    } catch (e) {
      throw new SopsConfigError(
        `${config.file}: can not compile regexp ${r.pathRegex}: ${(e as Error).message}`,
      );
    }
    if (re.test(path)) return r;
  }
  throw new SopsConfigError(`${config.file}: no matching creation rules found for ${path}`);
}

/** Recipients for a file encrypted "with the master key": a matching rule with at least one age key. */
export function masterRecipients(
  config: SopsConfig,
  filePath: string,
): { recipients: string[]; rules: EncryptionRules } {
  const rule = ruleFor(config, filePath);
  if (rule.age.length === 0) {
    throw new SopsConfigError(
      `${config.file}: the creation rule for ${filePath} has no age keys (only age is supported)`,
    );
  }
  for (const r of rule.age) {
    if (!/^age1[0-9a-z]+$/.test(r))
      throw new SopsConfigError(`${config.file}: not an age recipient: ${r}`);
  }
  return { recipients: rule.age, rules: rule.rules };
}
