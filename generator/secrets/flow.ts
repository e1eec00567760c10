// `secrets edit` and `secrets rekey`: decrypt the master file into the private workspace, let the
// user edit it, evaluate it with Nix, plan host keys and per-node files, then write everything in
// one transaction. Any failure before that leaves every committed file as it was and keeps the
// edit (0600) with a message saying how to resume.

import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { diag, formatDiagnostic, type Diagnostic } from "../errors.js";
import type { Output } from "../cli/command.js";
import { loadFleet } from "../model/load.js";
import type { FleetModel } from "../model/types.js";
import { applyAtomically } from "../write/atomic.js";
import { loadMasterIdentities, type IdentitySet } from "./age.js";
import type { SecretsEvaluator } from "./evaluate.js";
import { planNodes, type FileChange } from "./node-files.js";
import {
  loadSopsConfig,
  masterRecipients,
  SopsConfigError,
  type SopsConfig,
} from "./sops-config.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  parsePlain,
  SopsError,
  type EncryptionRules,
} from "./sops/document.js";
import type { SopsMetadata } from "./sops/metadata.js";
import { PlaintextWorkspace } from "./workspace.js";

/**
 * What `secrets edit` starts a new master file with: valid as it is (no secrets yet), with the
 * fleet's own names in the example.
 */
export function secretsTemplate(model: FleetModel): string {
  const groups = Object.keys(model.groups).sort();
  const nodes = Object.keys(model.nodes).sort();
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

export interface SecretsIo {
  stdout: Output;
  stderr: Output;
  env: NodeJS.ProcessEnv;
}

export interface Loaded {
  root: string;
  model: FleetModel;
  sopsConfig: SopsConfig;
  identities: IdentitySet;
}

function printAll(io: SecretsIo, ds: Diagnostic[]): void {
  for (const d of ds) io.stderr.write(`${formatDiagnostic(d)}\n`);
}

/** The fleet, its .sops.yaml and the master identities; null after printing why not. */
export async function loadForSecrets(
  root: string,
  io: SecretsIo,
  needConfig = true,
): Promise<Loaded | null> {
  const fleet = await loadFleet(root);
  if (!fleet.ok) {
    printAll(io, fleet.errors);
    return null;
  }
  const model = fleet.value.model;
  for (const w of fleet.value.warnings)
    io.stderr.write(`${formatDiagnostic(w).replace(/(^|: )error: /, "$1warning: ")}\n`);
  if (!model.sopsConfig) {
    if (needConfig) {
      printAll(io, [
        diag(
          "sops-config-missing",
          `Missing the .sops.yaml file in ${root}`,
          undefined,
          "create .sops.yaml with `creation_rules: [ { age: <your public key> } ]`; `age-keygen -y ~/.config/sops/age/keys.txt` prints it",
        ),
      ]);
      return null;
    }
  }
  let sopsConfig: SopsConfig = { file: join(root, ".sops.yaml"), creationRules: [] };
  if (model.sopsConfig) {
    try {
      sopsConfig = loadSopsConfig(join(root, model.sopsConfig));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      printAll(io, [diag("sops-config", e.message, { file: model.sopsConfig })]);
      return null;
    }
  }
  const identities = loadMasterIdentities(io.env);
  for (const p of identities.problems) io.stderr.write(`nixverse-gen: warning: ${p}\n`);
  return { root, model, sopsConfig, identities };
}

interface MasterState {
  /** Where it is (relative), or null when there is none yet. */
  rel: string | null;
  /** Where it goes: private/secrets.yaml when private/ exists. */
  target: string;
  plaintext: string | null;
  dataKey?: Uint8Array;
  metadata?: SopsMetadata;
}

async function readMaster(
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

async function encryptMaster(l: Loaded, m: MasterState, plaintext: string): Promise<FileChange[]> {
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

/** Write all changes in one transaction, then `git add -N` new files so the flake sees them. */
export async function applyChanges(root: string, changes: FileChange[]): Promise<void> {
  const write = new Map<string, { content: string; executable: boolean }>();
  const remove: string[] = [];
  for (const c of changes) {
    if (c.content === null) remove.push(c.path);
    else write.set(c.path, { content: c.content, executable: false });
  }
  if (write.size === 0 && remove.length === 0) return;
  await applyAtomically(root, { write, remove });
  intentToAdd(
    root,
    changes.filter((c) => c.created && c.content !== null).map((c) => c.path),
  );
}

/** Nixverse's `git add --intent-to-add --force` (private/ may be its own repository). */
function intentToAdd(root: string, rels: string[]): void {
  for (const rel of rels) {
    const abs = join(root, rel);
    try {
      execFileSync("git", ["-C", dirname(abs), "rev-parse", "--is-inside-work-tree"], {
        stdio: "ignore",
      });
      execFileSync(
        "git",
        ["-C", dirname(abs), "add", "--intent-to-add", "--force", basename(abs)],
        { stdio: "ignore" },
      );
    } catch {
      // not in a git work tree, or git missing: nothing to do
    }
  }
}

function summarize(io: SecretsIo, changes: FileChange[]): void {
  for (const c of changes) {
    io.stdout.write(
      `nixverse-gen: ${c.content === null ? "removed" : c.created ? "created" : "updated"} ${c.path} (${c.why})\n`,
    );
  }
}

function staleNodeFiles(l: Loaded, receiving: Set<string>): string[] {
  return Object.values(l.model.nodes)
    .filter((n) => n.secretsFile && !receiving.has(n.name))
    .map(
      (n) =>
        `${n.name}: ${n.secretsFile} is stale (the node no longer receives secrets); delete it if unneeded`,
    );
}

export interface EditOptions {
  root: string;
  io: SecretsIo;
  evaluator: SecretsEvaluator;
  /** Start from this kept edit instead of the master file. */
  resume?: string;
  /** Regenerate the flake after node files changed (the `gen` command). */
  regenerate?: () => Promise<number>;
  /** How to spell the command in messages. */
  commandName?: string;
}

/** `secrets edit`. Returns the exit status. */
export async function editSecrets(o: EditOptions): Promise<number> {
  const { io } = o;
  const cmd = o.commandName ?? "nixverse-gen secrets edit";
  const l = await loadForSecrets(o.root, io);
  if (!l) return 1;
  const m = await readMaster(l);
  if (!m.ok) {
    printAll(io, m.errors);
    return 1;
  }
  const master = m.value;
  const template = secretsTemplate(l.model);
  let start = master.plaintext ?? template;
  if (o.resume) {
    try {
      start = readFileSync(o.resume, "utf8");
    } catch (e) {
      io.stderr.write(
        `nixverse-gen: cannot read the edit to resume (${o.resume}): ${(e as Error).message}\n`,
      );
      return 1;
    }
  }

  const resumeHint = (file: string) =>
    `nixverse-gen: your edit is kept in ${file} (readable by you only); fix it, then run:\n  ${cmd} --resume ${file}\n`;
  const ws = PlaintextWorkspace.create((signal, w) => {
    io.stderr.write(`\nnixverse-gen: interrupted (${signal}); no committed file was changed\n`);
    if (w.keptFile) io.stderr.write(resumeHint(w.keptFile));
    process.exit(signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129);
  });
  const file = ws.write("secrets.nix", start);
  // The workspace holds the resumed edit now (and keeps it on failure): one copy is enough.
  if (o.resume) removeKeptEdit(o.resume);
  // Kept on failure only when it holds something the master file does not.
  ws.keep = {
    file,
    when: () => readFileSync(file, "utf8") !== (master.plaintext ?? template),
  };
  let ok = false;
  try {
    const editor = io.env.SOPS_EDITOR || io.env.EDITOR || "vi";
    const status = await ws.editing(
      () =>
        new Promise<number | null>((resolve, reject) => {
          // `exec`, so a signal we forward reaches the editor itself, not an intermediate shell.
          const child = ws.spawn("sh", ["-c", `exec ${editor} "$1"`, "sh", file], {
            stdio: "inherit",
            env: io.env,
          });
          child.on("error", reject);
          child.on("exit", (code) => resolve(code));
        }),
    );
    if (status !== 0) {
      io.stderr.write(
        `nixverse-gen: the editor (${editor}) exited with status ${status}; nothing was written\n`,
      );
      return 1;
    }
    // Editors that save by replacing the file may not keep its mode.
    chmodSync(file, 0o600);
    const edited = readFileSync(file, "utf8");
    const changed = master.plaintext === null || edited !== master.plaintext;

    // The evaluation needs the generated flake: make it on a fresh tree.
    if (!existsSync(join(l.root, "flake.nix")) && o.regenerate) {
      io.stdout.write("nixverse-gen: no flake.nix yet: generating it first\n");
      if ((await o.regenerate()) !== 0) return 1;
    }
    const ev = await o.evaluator(ws, file);
    if (!ev.ok) {
      printAll(io, ev.errors);
      return 1;
    }
    const planned = await planNodes(
      {
        root: l.root,
        model: l.model,
        sopsConfig: l.sopsConfig,
        masterIdentities: l.identities.identities,
      },
      ev.value.nodes,
    );
    if (!planned.ok) {
      printAll(io, planned.errors);
      return 1;
    }
    const changes = [...planned.value.changes];
    try {
      if (changed || master.rel !== master.target)
        changes.push(...(await encryptMaster(l, master, edited)));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      printAll(io, [diag("sops-config", e.message, { file: l.model.sopsConfig ?? ".sops.yaml" })]);
      return 1;
    }
    await ws.commit(() => applyChanges(l.root, changes));
    ok = true;
    summarize(io, changes);
    if (!changed) io.stdout.write(`nixverse-gen: ${master.rel} is unchanged\n`);
    for (const s of staleNodeFiles(l, new Set(ev.value.nodeNames)))
      io.stdout.write(`nixverse-gen: note: ${s}\n`);
    if (changes.length === 0) io.stdout.write("nixverse-gen: no file changed\n");
    if (changes.some((c) => c.created || c.content === null) && o.regenerate) {
      const code = await o.regenerate();
      if (code !== 0) {
        io.stderr.write(
          "nixverse-gen: the secrets were written, but regenerating the flake failed: run `nixverse-gen gen`\n",
        );
        return 1;
      }
    }
    return 0;
  } catch (e) {
    io.stderr.write(`nixverse-gen: ${(e as Error).message}\n`);
    return 1;
  } finally {
    ws.close(!ok);
    if (!ok && ws.keptFile) io.stderr.write(resumeHint(ws.keptFile));
  }
}

function removeKeptEdit(file: string): void {
  rmSync(file, { force: true });
  const dir = dirname(file);
  if (basename(dir).startsWith("nixverse-secrets-")) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty: leave it
    }
  }
}

export interface RekeyOptions {
  root: string;
  io: SecretsIo;
  evaluator: SecretsEvaluator;
  regenerate?: () => Promise<number>;
}

/**
 * `secrets rekey`: master file and host keys re-encrypted to the current .sops.yaml recipients
 * (with a fresh data key when they changed), per-node files to the current host keys.
 */
export async function rekeySecrets(o: RekeyOptions): Promise<number> {
  const { io } = o;
  const l = await loadForSecrets(o.root, io);
  if (!l) return 1;
  const m = await readMaster(l);
  if (!m.ok) {
    printAll(io, m.errors);
    return 1;
  }
  const master = m.value;
  if (master.plaintext === null) {
    printAll(io, [
      diag(
        "secrets-missing",
        "No secrets file exists; run `nixverse-gen secrets edit` to create one",
      ),
    ]);
    return 1;
  }
  const ws = PlaintextWorkspace.create((signal) => {
    io.stderr.write(`\nnixverse-gen: interrupted (${signal}); no committed file was changed\n`);
    process.exit(signal === "SIGINT" ? 130 : 143);
  });
  try {
    const file = ws.write("secrets.nix", master.plaintext);
    const ev = await o.evaluator(ws, file);
    if (!ev.ok) {
      printAll(io, ev.errors);
      return 1;
    }
    const planned = await planNodes(
      {
        root: l.root,
        model: l.model,
        sopsConfig: l.sopsConfig,
        masterIdentities: l.identities.identities,
        rekeyHostKeys: true,
      },
      ev.value.nodes,
    );
    if (!planned.ok) {
      printAll(io, planned.errors);
      return 1;
    }
    const changes = [...planned.value.changes];
    const { recipients } = masterRule(l, master.target);
    const current = master.metadata?.age.map((e) => e.recipient) ?? [];
    const same =
      current.length === recipients.length && current.every((r) => recipients.includes(r));
    if (!same || master.rel !== master.target) {
      // A recipient was removed or added: a fresh data key, so an old key cannot open new versions.
      changes.push(
        ...(await encryptMaster(
          l,
          { ...master, dataKey: undefined, metadata: undefined },
          master.plaintext,
        )),
      );
    }
    await ws.commit(() => applyChanges(l.root, changes));
    summarize(io, changes);
    if (changes.length === 0)
      io.stdout.write(
        "nixverse-gen: every secrets file is already encrypted to the current keys\n",
      );
    if (changes.some((c) => c.created || c.content === null) && o.regenerate) {
      if ((await o.regenerate()) !== 0) return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof SopsConfigError) {
      printAll(io, [diag("sops-config", e.message, { file: l.model.sopsConfig ?? ".sops.yaml" })]);
      return 1;
    }
    io.stderr.write(`nixverse-gen: ${(e as Error).message}\n`);
    return 1;
  } finally {
    ws.close(false);
  }
}
