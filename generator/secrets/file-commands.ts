// `secrets encrypt`, `secrets decrypt` and `secrets eval` (as in Nixverse, with its bugs fixed:
// long type flags and --indent work). Each returns an Outcome; the CLI prints it.

import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { diag, type Diagnostic } from "../errors.js";
import { evalExpression, type NixOptions } from "./evaluate.js";
import { applyChanges } from "./commit.js";
import {
  loadForSecrets,
  Report,
  sopsConfigDiagnostic,
  started,
  type Loaded,
  type OnInterrupt,
  type Outcome,
  type Regenerate,
} from "./context.js";
import { staleWorkspaceWarnings } from "./flow.js";
import { ensureHostKey, HOST_KEY, nodeBase, type FileChange, type NodeKeys } from "./node-files.js";
import { masterRecipients, SopsConfigError } from "./sops-config.js";
import {
  decryptText,
  emitPlain,
  encryptToText,
  formatForPath,
  parsePlain,
  SopsError,
  type SopsFormat,
} from "./sops/document.js";
import { EDIT_FILE, PlaintextWorkspace } from "./workspace.js";

export interface CryptOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  /** Input path, or "-" for stdin. */
  file: string;
  cwd: string;
  node?: string;
  inType?: SopsFormat;
  outType?: SopsFormat;
  inPlace: boolean;
  /** Output path; "-" or undefined for stdout. */
  out?: string;
  indent?: number;
  readStdin: () => Promise<string>;
  regenerate?: Regenerate;
}

async function readInput(o: CryptOptions, report: Report): Promise<string | null> {
  if (o.file === "-") return o.readStdin();
  try {
    return readFileSync(resolve(o.cwd, o.file), "utf8");
  } catch (e) {
    report.add(
      diag("read-failed", `cannot read ${o.file}: ${(e as Error).message}`, { file: o.file }),
    );
    return null;
  }
}

/**
 * Write the result: in place, to a file, or to stdout. Plaintext files are created 0600. A
 * directory that does not exist is an error, as in sops (a mistyped path makes no directories).
 */
function writeOutput(
  o: CryptOptions,
  report: Report,
  text: string,
  secret: boolean,
): Diagnostic | null {
  const target = o.inPlace
    ? resolve(o.cwd, o.file)
    : o.out && o.out !== "-"
      ? resolve(o.cwd, o.out)
      : null;
  if (!target) {
    report.text("stdout", text);
    return null;
  }
  const shown = o.inPlace ? o.file : (o.out as string);
  if (!existsSync(dirname(target)))
    return diag(
      "out-dir-missing",
      `cannot write ${shown}: the directory ${dirname(shown)} does not exist`,
      { file: shown },
      `create it first (mkdir -p ${dirname(shown)}) or check the path`,
    );
  const tmp = join(dirname(target), `.nixverse-gen-${process.pid}-${Date.now()}`);
  try {
    writeFileSync(tmp, text, { mode: secret ? 0o600 : 0o644 });
    if (secret) chmodSync(tmp, 0o600);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    return diag("write-failed", `cannot write ${shown}: ${(e as Error).message}`, { file: shown });
  }
  return null;
}

/**
 * The node's keys (its host key made if missing, as Nixverse does); null after reporting why.
 * Without `create` (decrypt) nothing is written: a .pub to add or a key to move into private/ is
 * left for the next encrypt/edit/rekey.
 */
async function nodeKeys(
  l: Loaded,
  o: CryptOptions,
  report: Report,
  create: boolean,
): Promise<NodeKeys | null> {
  const name = o.node as string;
  const node = l.model.nodes[name];
  if (!node) {
    report.add(
      diag(
        "unknown-node",
        l.model.groups[name] ? `${name} is a group, not a node` : `Unknown node ${name}`,
        undefined,
        "--node takes a node name (a directory under nodes/ with node.nix, or listed by a group)",
      ),
    );
    return null;
  }
  const keyFiles = [`${nodeBase(l.model, node)}/${HOST_KEY}`, `${node.dir}/${HOST_KEY}`];
  if (!create && !keyFiles.some((f) => existsSync(join(l.root, f)))) {
    report.add(
      diag(
        "no-host-key",
        `${name} has no SSH host key yet`,
        undefined,
        "`nixverse-gen secrets encrypt --node` or `secrets edit` creates it",
      ),
    );
    return null;
  }
  const changes: FileChange[] = [];
  const k = await ensureHostKey(
    {
      root: l.root,
      model: l.model,
      sopsConfig: l.sopsConfig,
      masterIdentities: l.identities.identities,
    },
    node,
    changes,
  );
  if (!k.ok) {
    report.add(...k.errors);
    return null;
  }
  if (create && changes.length > 0) {
    await applyChanges(l.root, changes);
    // On stderr: stdout is the encrypted document.
    for (const c of changes)
      report.text(
        "stderr",
        `nixverse-gen: ${c.content === null ? "removed" : "wrote"} ${c.path} (${c.why})\n`,
      );
    if (o.regenerate) {
      for (const m of (await o.regenerate()).messages)
        report.push(
          m.kind === "note"
            ? { kind: "text", stream: "stderr", text: `nixverse-gen: ${m.text}\n` }
            : m.kind === "text"
              ? { ...m, stream: "stderr" }
              : m,
        );
    }
  }
  return k.value;
}

/** sops reads *.ini with its INI store, which we do not implement: say so instead of diverging. */
function iniWithoutType(o: CryptOptions, report: Report): boolean {
  if (o.inType || !/\.ini$/i.test(o.file)) return false;
  report.add(
    diag(
      "sops-ini",
      `${o.file}: INI documents are not supported`,
      { file: o.file },
      "pass --in-type binary (and --out-type binary) to treat the file as opaque data",
    ),
  );
  return true;
}

export async function encryptCommand(o: CryptOptions): Promise<Outcome> {
  const report = new Report();
  const l = started(await loadForSecrets(o.root, o.env), report);
  if (!l || iniWithoutType(o, report)) return report.done(1);
  const inType = o.inType ?? formatForPath(o.file === "-" ? (o.out ?? "-") : o.file);
  const outType = o.outType ?? inType;
  let recipients: string[];
  let rules = {};
  if (o.node) {
    const k = await nodeKeys(l, o, report, true);
    if (!k) return report.done(1);
    recipients = [k.recipient];
  } else {
    const path = resolve(
      o.cwd,
      o.file === "-" ? (o.out && o.out !== "-" ? o.out : "stdin") : o.file,
    );
    try {
      ({ recipients, rules } = masterRecipients(l.sopsConfig, path));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      return report.failed(sopsConfigDiagnostic(l.model, e));
    }
  }
  const text = await readInput(o, report);
  if (text === null) return report.done(1);
  try {
    const out = await encryptToText(parsePlain(text, inType), outType, {
      recipients,
      rules,
      indent: o.indent ?? 2,
    });
    const w = writeOutput(o, report, out, false);
    return w ? report.failed(w) : report.done(0);
  } catch (e) {
    if (!(e instanceof SopsError)) throw e;
    return report.failed(
      diag(e.code, e.message, { file: o.file, line: e.line, column: e.column }, e.hint),
    );
  }
}

export async function decryptCommand(o: CryptOptions): Promise<Outcome> {
  const report = new Report();
  const l = started(await loadForSecrets(o.root, o.env, Boolean(o.node)), report);
  if (!l || iniWithoutType(o, report)) return report.done(1);
  const inType = o.inType ?? formatForPath(o.file);
  const outType = o.outType ?? inType;
  let identities = l.identities.identities;
  if (o.node) {
    const k = await nodeKeys(l, o, report, false);
    if (!k) return report.done(1);
    identities = [k.identity];
  }
  const text = await readInput(o, report);
  if (text === null) return report.done(1);
  try {
    const dec = await decryptText(text, inType, identities);
    const w = writeOutput(o, report, emitPlain(dec.branches, outType, o.indent), true);
    return w ? report.failed(w) : report.done(0);
  } catch (e) {
    if (!(e instanceof SopsError)) throw e;
    return report.failed(
      diag(e.code, e.message, { file: o.file, line: e.line, column: e.column }, e.hint),
    );
  }
}

export async function evalCommand(o: {
  root: string;
  env: NodeJS.ProcessEnv;
  expr: string;
  nix: NixOptions;
  onInterrupt: OnInterrupt;
}): Promise<Outcome> {
  const report = new Report();
  const l = started(await loadForSecrets(o.root, o.env, false), report);
  if (!l) return report.done(1);
  // eval decrypts into a workspace too: a killed edit's or eval's plaintext is reported here as well.
  report.add(...staleWorkspaceWarnings(o.env));
  const rel = l.model.masterSecrets;
  if (!rel)
    return report.failed(
      diag(
        "secrets-missing",
        "No secrets file exists, edit to create one",
        undefined,
        "nixverse-gen secrets edit",
      ),
    );
  let plaintext: string;
  try {
    const dec = await decryptText(
      readFileSync(join(l.root, rel), "utf8"),
      "yaml",
      l.identities.identities,
    );
    plaintext = emitPlain(dec.branches, "binary");
  } catch (e) {
    if (!(e instanceof SopsError)) throw e;
    return report.failed(diag(e.code, e.message, { file: rel }, e.hint));
  }
  const ws = PlaintextWorkspace.create((signal) => {
    report.add(diag("interrupted", `interrupted (${signal})`));
    o.onInterrupt(signal, report.messages);
  }, o.env);
  try {
    const file = ws.write(EDIT_FILE, plaintext);
    const r = await evalExpression(ws, o.nix, file, o.expr);
    if (!r.ok) return report.failed(...r.errors);
    report.text(
      "stdout",
      typeof r.value === "string"
        ? `${r.value}${r.value.endsWith("\n") ? "" : "\n"}`
        : `${JSON.stringify(r.value, null, 2)}\n`,
    );
    return report.done(0);
  } finally {
    ws.close(false);
  }
}
