// Per-node key material and secrets files (README "Secrets"), planned in memory:
// nothing here writes. The result is a list of file changes that the caller commits at once.
//
// Layout, with D = private/<node dir> when private/ exists, else <node dir>:
//   D/secrets/fs/etc/ssh/ssh_host_ed25519_key   the host key, encrypted to the master key(s)
//   D/fs/etc/ssh/ssh_host_ed25519_key.pub       its public key
//   D/secrets.yaml (or an existing D/secrets/default.yaml)   the node's secrets, encrypted to it only

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { diag, fail, ok, type Diagnostic, type Result } from "../errors.js";
import type { FleetModel, NodeModel } from "../model/types.js";
import { masterRecipients, SopsConfigError, type SopsConfig } from "./sops-config.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
  recipientsOf,
  SopsError,
} from "./sops/document.js";
import { DEFAULT_UNENCRYPTED_SUFFIX } from "./sops/metadata.js";
import { sameValue, SopsMap, type SopsValue } from "./sops/tree.js";
import {
  formatPrivateKey,
  formatPublicKey,
  generateEd25519,
  parsePrivateKey,
  SshKeyError,
} from "./ssh-keys.js";
import { ageIdentityFromEd25519Seed, ageRecipientFromEd25519 } from "./ssh-to-age.js";

export const HOST_KEY = "secrets/fs/etc/ssh/ssh_host_ed25519_key";
export const HOST_KEY_PUB = "fs/etc/ssh/ssh_host_ed25519_key.pub";

/** One planned change; content null deletes the file. */
export interface FileChange {
  path: string;
  content: string | null;
  /** A file that did not exist (for `git add -N` and the summary). */
  created: boolean;
  why: string;
}

export interface NodeKeys {
  node: string;
  recipient: string;
  identity: string;
  publicKeyLine: string;
}

export interface PlanContext {
  root: string;
  model: FleetModel;
  sopsConfig: SopsConfig;
  /** Master age identities (to open host keys). */
  masterIdentities: readonly string[];
  /** Host keys re-encrypted to the current master recipients even when unchanged (`rekey`). */
  rekeyHostKeys?: boolean;
}

export const nodeBase = (model: FleetModel, node: NodeModel): string =>
  model.hasPrivate ? `private/${node.dir}` : node.dir;

const read = (root: string, rel: string): string | null => {
  const p = join(root, rel);
  return existsSync(p) ? readFileSync(p, "utf8") : null;
};

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

function asDiag(e: unknown, file: string, hint?: string): Diagnostic {
  if (e instanceof SopsError)
    return diag(e.code, e.message, { file, line: e.line, column: e.column }, e.hint ?? hint);
  if (e instanceof SopsConfigError || e instanceof SshKeyError)
    return diag("secrets", e.message, { file }, hint);
  throw e;
}

/**
 * The node's host key: decrypted if committed (moved into private/ if needed), else generated and
 * encrypted to the master recipients. Also plans its .pub.
 */
export async function ensureHostKey(
  ctx: PlanContext,
  node: NodeModel,
  changes: FileChange[],
): Promise<Result<NodeKeys>> {
  const { root, model } = ctx;
  const base = nodeBase(model, node);
  const privRel = `${base}/${HOST_KEY}`;
  const pubRel = `${base}/${HOST_KEY_PUB}`;
  const twinPriv = model.hasPrivate ? `${node.dir}/${HOST_KEY}` : null;
  const twinPub = model.hasPrivate ? `${node.dir}/${HOST_KEY_PUB}` : null;

  let encrypted = read(root, privRel);
  if (encrypted !== null && twinPriv && read(root, twinPriv) !== null) {
    return fail(
      diag("both-exist", `Both ${twinPriv} and ${privRel} exist, only one is allowed`, {
        file: twinPriv,
      }),
    );
  }
  let fromTwin = false;
  if (encrypted === null && twinPriv) {
    encrypted = read(root, twinPriv);
    fromTwin = encrypted !== null;
  }

  let master: { recipients: string[]; rules: object };
  try {
    master = masterRecipients(ctx.sopsConfig, join(root, privRel));
  } catch (e) {
    return fail(asDiag(e, ctx.sopsConfig.file));
  }

  let pem: string;
  if (encrypted !== null) {
    const file = fromTwin ? (twinPriv as string) : privRel;
    try {
      const dec = await decryptText(encrypted, "binary", ctx.masterIdentities);
      pem = emitPlain(dec.branches, "binary");
      const current = recipientsOf(encrypted, "binary");
      if (fromTwin || (ctx.rekeyHostKeys && !sameSet(current, master.recipients))) {
        const keep = sameSet(current, master.recipients);
        const content = keep
          ? encrypted
          : await encryptToText(parsePlain(pem, "binary"), "binary", {
              recipients: master.recipients,
              rules: master.rules,
              indent: 2,
            });
        changes.push({
          path: privRel,
          content,
          created: fromTwin,
          why: fromTwin
            ? "host key moved into private/"
            : "host key re-encrypted to the master keys",
        });
        if (fromTwin)
          changes.push({ path: file, content: null, created: false, why: "moved into private/" });
      }
    } catch (e) {
      return fail(
        asDiag(
          e,
          file,
          "the host key is encrypted to the master key: check SOPS_AGE_KEY / SOPS_AGE_KEY_FILE",
        ),
      );
    }
  } else {
    // A committed public key names the machine's identity: never replace it silently.
    const pub = [pubRel, twinPub].find((r) => r !== null && read(root, r) !== null);
    if (pub)
      return fail(
        diag(
          "host-key-missing",
          `${node.name} has a public host key (${pub}) but its private key ${privRel} is missing`,
          { file: pub },
          "restore the private key (e.g. `git checkout` it); to give the node a new SSH identity on purpose, delete the .pub and run the command again",
        ),
      );
    const key = generateEd25519();
    pem = formatPrivateKey(key);
    const content = await encryptToText(parsePlain(pem, "binary"), "binary", {
      recipients: master.recipients,
      rules: master.rules,
      indent: 2,
    });
    changes.push({
      path: privRel,
      content,
      created: true,
      why: "new SSH host key (encrypted to the master key)",
    });
  }

  let key;
  try {
    key = parsePrivateKey(pem);
  } catch (e) {
    return fail(asDiag(e, privRel));
  }
  const publicKeyLine = formatPublicKey(key);
  const pubNow = read(root, pubRel);
  const pubTwin = twinPub ? read(root, twinPub) : null;
  if (pubNow !== publicKeyLine) {
    changes.push({
      path: pubRel,
      content: publicKeyLine,
      created: pubNow === null,
      why: "SSH host public key",
    });
  }
  if (twinPub && pubTwin !== null)
    changes.push({ path: twinPub, content: null, created: false, why: "moved into private/" });
  return ok({
    node: node.name,
    recipient: ageRecipientFromEd25519(key.publicKey),
    identity: ageIdentityFromEd25519Seed(key.seed),
    publicKeyLine,
  });
}

/** Where a node's secrets file lives (an existing secrets/default.yaml keeps its name). */
export function nodeSecretsPath(model: FleetModel, node: NodeModel): string {
  const kind = node.secretsFile?.endsWith("/secrets/default.yaml")
    ? "secrets/default.yaml"
    : "secrets.yaml";
  return `${nodeBase(model, node)}/${kind}`;
}

/**
 * The node's secrets file, encrypted to its host key only — rewritten only when its decrypted
 * content (or its recipient) changed.
 */
export async function planNodeSecrets(
  ctx: PlanContext,
  node: NodeModel,
  keys: NodeKeys,
  doc: SopsMap,
  changes: FileChange[],
): Promise<Result<"unchanged" | "written">> {
  const target = nodeSecretsPath(ctx.model, node);
  const existing = node.secretsFile;
  const current = existing ? read(ctx.root, existing) : null;
  let same = false;
  if (current !== null && current.trim() !== "") {
    try {
      const dec = await decryptText(current, "yaml", [keys.identity]);
      same =
        dec.branches.length === 1 &&
        sameValue(dec.branches[0] as SopsMap, doc) &&
        sameSet(
          dec.metadata.age.map((e) => e.recipient),
          [keys.recipient],
        );
    } catch {
      same = false; // not readable with the node's key (new host key, or damaged): rewrite it
    }
  }
  const moved = existing !== null && existing !== target;
  if (same && !moved) return ok("unchanged");
  const content =
    same && current !== null
      ? current
      : await encryptToText([doc], "yaml", { recipients: [keys.recipient], indent: 2 });
  changes.push({
    path: target,
    content,
    created: current === null || moved,
    why: same ? "moved into private/" : `secrets of ${node.name} (encrypted to its host key)`,
  });
  if (moved)
    changes.push({
      path: existing as string,
      content: null,
      created: false,
      why: "moved into private/",
    });
  return ok(same ? "unchanged" : "written");
}

/**
 * Keys sops would mishandle in a node's document: a top-level `sops` clashes with sops' own
 * metadata key (the file had two), and a key ending `_unencrypted` is stored in clear by sops'
 * default rule. Both are refused rather than committed.
 */
function reservedKeys(node: string, doc: SopsMap, file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  if (doc.get("sops") !== undefined)
    out.push(
      diag(
        "secrets-sops-key",
        `the secrets of ${node} have a top-level key \`sops\`, which sops reserves for its metadata`,
        { file },
        "rename it: sops-nix reads the node's file as a sops document",
      ),
    );
  const walk = (v: SopsValue, path: string[]) => {
    if (v instanceof SopsMap) {
      for (const [k, x] of v.entries) {
        if (k.endsWith(DEFAULT_UNENCRYPTED_SUFFIX))
          out.push(
            diag(
              "secrets-unencrypted-key",
              `the secret ${[...path, k].join(".")} of ${node} ends in ${DEFAULT_UNENCRYPTED_SUFFIX}, so sops would store it in clear`,
              { file },
              `rename it; a value that need not be secret belongs in the node's Nix configuration`,
            ),
          );
        walk(x, [...path, k]);
      }
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, String(i)]));
  };
  walk(doc, []);
  return out;
}

/** Host keys and secrets files for every node that receives secrets. */
export async function planNodes(
  ctx: PlanContext,
  docs: Map<string, SopsMap>,
): Promise<
  Result<{
    changes: FileChange[];
    keys: Map<string, NodeKeys>;
    unchanged: string[];
    written: string[];
  }>
> {
  const changes: FileChange[] = [];
  const keys = new Map<string, NodeKeys>();
  const errors: Diagnostic[] = [];
  const unchanged: string[] = [];
  const written: string[] = [];
  for (const [name, doc] of docs) {
    const node = ctx.model.nodes[name];
    if (!node) {
      errors.push(
        diag(
          "secrets-unknown-node",
          `secrets for ${name}, which is not a node of this fleet`,
          undefined,
          "re-run nixverse-gen",
        ),
      );
      continue;
    }
    const reserved = reservedKeys(name, doc, ctx.model.masterSecrets ?? "secrets.yaml");
    if (reserved.length) {
      errors.push(...reserved);
      continue;
    }
    const k = await ensureHostKey(ctx, node, changes);
    if (!k.ok) {
      errors.push(...k.errors);
      continue;
    }
    keys.set(name, k.value);
    const r = await planNodeSecrets(ctx, node, k.value, doc, changes);
    if (!r.ok) errors.push(...r.errors);
    else (r.value === "unchanged" ? unchanged : written).push(name);
  }
  return errors.length ? fail(...errors) : ok({ changes, keys, unchanged, written });
}
