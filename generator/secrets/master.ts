// The master secrets file: a sops YAML document whose `data` is the Nix expression. Read with the
// master identities; re-encrypted keeping its data key while its recipients stay the same.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diag, type Diagnostic } from "../errors.js";
import type { FleetModel } from "../model/types.js";
import { commentText } from "../nix/value.js";
import type { Loaded } from "./context.js";
import type { FileChange } from "./node-files.js";
import { masterRecipients, SopsConfigError } from "./sops-config.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
  SopsError,
  type EncryptionRules,
} from "./sops/document.js";
import type { SopsMetadata } from "./sops/metadata.js";

/**
 * What `secrets edit` starts a new master file with: valid as it is (no secrets yet), with the
 * fleet's own names in the example.
 */
export function secretsTemplate(model: FleetModel): string {
  const groups = Object.keys(model.groups).sort().map(commentText);
  const nodes = Object.keys(model.nodes).sort().map(commentText);
  const group = groups[0] ?? "groupName";
  const node = nodes[0] ?? "nodeName";
  return `# Secrets for the fleet, as a Nix expression; it may also be a function of
# { lib, lib', inputs, nodes, secrets } (\`secrets\` is this file's own result, for references).
# Keys under \`nodes\` are node or group names; a group's secrets reach all its nodes, a node's
# own values win. Keys starting with _ stay here (\`secrets eval\` sees them, nodes do not).
# Groups: ${groups.join(", ") || "none"}
# Nodes: ${nodes.join(", ") || "none"}
{
  nodes = {
    # ${group} = {
    #   wifi.password = "shared by the group";
    # };
    # ${node} = {
    #   wifi.password = "this node's own";
    # };
  };
}
`;
}

export interface MasterState {
  /** Where it is (relative), or null when there is none yet. */
  rel: string | null;
  /** Where it goes: private/secrets.yaml when private/ exists. */
  target: string;
  plaintext: string | null;
  /** The file as it is on disk (to move it unchanged). */
  text?: string;
  dataKey?: Uint8Array;
  metadata?: SopsMetadata;
}

export async function readMaster(
  l: Loaded,
): Promise<{ ok: true; value: MasterState } | { ok: false; errors: Diagnostic[] }> {
  const rel = l.model.masterSecrets;
  const target = l.model.hasPrivate ? "private/secrets.yaml" : "secrets.yaml";
  if (!rel) return { ok: true, value: { rel: null, target, plaintext: null } };
  const text = readFileSync(join(l.root, rel), "utf8");
  // Nixverse left an empty master file after a failed first edit: treat it as new.
  if (text.trim() === "") return { ok: true, value: { rel, target, plaintext: null } };
  try {
    const dec = await decryptText(text, "yaml", l.identities.identities);
    return {
      ok: true,
      value: {
        rel,
        target,
        plaintext: emitPlain(dec.branches, "binary"),
        text,
        dataKey: dec.dataKey,
        metadata: dec.metadata,
      },
    };
  } catch (e) {
    if (!(e instanceof SopsError)) throw e;
    const where = l.identities.sources.length
      ? `keys from ${l.identities.sources.join(", ")}`
      : "no age keys found";
    return { ok: false, errors: [diag(e.code, `${e.message} (${where})`, { file: rel }, e.hint)] };
  }
}

/** The master file re-encrypted; the data key is kept while the recipients stay the same. */
/**
 * The creation rule for the master file. Nixverse matched rules against `build/secrets.nix` (the
 * plaintext it encrypted), so that path is tried when none matches the file itself.
 */
export function masterRule(l: Loaded, target: string): ReturnType<typeof masterRecipients> {
  try {
    return masterRecipients(l.sopsConfig, join(l.root, target));
  } catch (e) {
    if (!(e instanceof SopsConfigError) || !/no matching creation rules/.test(e.message)) throw e;
    try {
      return masterRecipients(l.sopsConfig, join(l.root, "build", "secrets.nix"));
    } catch {
      throw e;
    }
  }
}

export async function encryptMaster(
  l: Loaded,
  m: MasterState,
  plaintext: string,
): Promise<FileChange[]> {
  const { recipients, rules } = masterRule(l, m.target);
  const current = m.metadata?.age.map((e) => e.recipient) ?? [];
  const keep =
    m.dataKey !== undefined &&
    current.length === recipients.length &&
    current.every((r) => recipients.includes(r));
  const content = await encryptToText(parsePlain(plaintext, "binary"), "yaml", {
    recipients,
    rules: rules as EncryptionRules,
    indent: 2,
    ...(keep ? { dataKey: m.dataKey, previous: m.metadata } : {}),
  });
  const out: FileChange[] = [
    { path: m.target, content, created: m.rel !== m.target, why: "master secrets" },
  ];
  if (m.rel && m.rel !== m.target)
    out.push({ path: m.rel, content: null, created: false, why: "moved into private/" });
  return out;
}

/** Moving the master file into private/ unchanged keeps its bytes. */
export function moveMaster(m: MasterState): FileChange[] {
  if (!m.rel || m.rel === m.target || m.text === undefined) return [];
  return [
    { path: m.target, content: m.text, created: true, why: "master secrets moved into private/" },
    { path: m.rel, content: null, created: false, why: "moved into private/" },
  ];
}
