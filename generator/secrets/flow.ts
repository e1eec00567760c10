// `secrets edit` and `secrets rekey`: decrypt the master file into the private workspace, let the
// user edit it, evaluate it with Nix, plan host keys and per-node files, then write everything in
// one transaction. Any failure before that leaves every committed file as it was and keeps the
// edit (0600) with a message saying how to resume.

import { chmodSync, existsSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { diag, DiagnosticError, warning, type Diagnostic } from "../errors.js";
import { shQuote } from "../hook/script.js";
import { applyChanges } from "./commit.js";
import {
  loadForSecrets,
  Report,
  sopsConfigDiagnostic,
  started,
  type Loaded,
  type Message,
  type OnInterrupt,
  type Outcome,
  type Regenerate,
} from "./context.js";
import type { SecretsEvaluator } from "./evaluate.js";
import { encryptMaster, masterRule, moveMaster, readMaster, secretsTemplate } from "./master.js";
import { planNodes, type FileChange } from "./node-files.js";
import { SopsConfigError } from "./sops-config.js";
import { EDIT_FILE, isKeptEdit, PlaintextWorkspace, staleWorkspaces } from "./workspace.js";

/** What an interrupt did, truthfully: before the commit nothing changed, after it all did. */
function interrupted(signal: NodeJS.Signals, ws: PlaintextWorkspace): Diagnostic {
  return ws.committed
    ? diag(
        "interrupted",
        `interrupted (${signal}) after every secrets file was written; run \`nixverse-gen gen\` if the flake needs regenerating`,
      )
    : diag("interrupted", `interrupted (${signal}); no committed file was changed`);
}

/** A path as it can be pasted into a shell (a temp dir's name may hold spaces, `$` or quotes). */
const shellWord = (p: string): string => (/^[\w./@%+=:,-]+$/.test(p) ? p : shQuote(p));

/** Plaintext an earlier run could not remove (SIGKILL, a crash) or kept for --resume. */
export function staleWorkspaceWarnings(env: NodeJS.ProcessEnv, except?: string): Diagnostic[] {
  return staleWorkspaces(env)
    .filter((d) => !(except && dirname(except) === d))
    .map((d) => {
      const edit = join(d, EDIT_FILE);
      return existsSync(edit)
        ? warning(
            "stale-workspace",
            `${edit} holds decrypted secrets from an earlier run: resume it with \`--resume ${shellWord(edit)}\` or delete ${d}`,
          )
        : warning(
            "stale-workspace",
            `${d} was left by an earlier run that was killed and may hold decrypted secrets: delete it`,
          );
    });
}

function summarize(report: Report, changes: FileChange[]): void {
  for (const c of changes)
    report.note(
      `${c.content === null ? "removed" : c.created ? "created" : "updated"} ${c.path} (${c.why})`,
    );
}

function staleNodeFiles(l: Loaded, receiving: Set<string>): string[] {
  return Object.values(l.model.nodes)
    .filter((n) => n.secretsFile && !receiving.has(n.name))
    .map(
      (n) =>
        `${n.name}: ${n.secretsFile} is stale (the node no longer receives secrets); delete it if unneeded`,
    );
}

/** Exceptions that carry a message for the user, as the Diagnostic they stand for. */
function diagnosticsOf(l: Loaded, e: unknown): Diagnostic[] {
  if (e instanceof SopsConfigError) return [sopsConfigDiagnostic(l.model, e)];
  if (e instanceof DiagnosticError) return e.diagnostics;
  return [diag("secrets-failed", (e as Error).message)];
}

/**
 * After node files appeared or went away the flake must be regenerated: its report (which files
 * gen rewrote) is passed on, led by why it ran.
 */
async function regenerateAfter(
  report: Report,
  regenerate: Regenerate,
  why: string,
): Promise<boolean> {
  report.note(why);
  const r = await regenerate();
  report.push(...r.messages);
  return r.status === 0;
}

/**
 * Evaluates the master expression and plans host keys and per-node files: the step `edit` and
 * `rekey` share. Errors go to the report; null means "exit 1".
 */
async function evaluateAndPlan(
  l: Loaded,
  o: { evaluator: SecretsEvaluator },
  report: Report,
  ws: PlaintextWorkspace,
  file: string,
  rekeyHostKeys: boolean,
) {
  const ev = await o.evaluator(ws, file);
  if (!ev.ok) {
    report.add(...ev.errors);
    return null;
  }
  const planned = await planNodes(
    {
      root: l.root,
      model: l.model,
      sopsConfig: l.sopsConfig,
      masterIdentities: l.identities.identities,
      ...(rekeyHostKeys ? { rekeyHostKeys: true } : {}),
    },
    ev.value.nodes,
  );
  if (!planned.ok) {
    report.add(...planned.errors);
    return null;
  }
  return { ev, changes: [...planned.value.changes] };
}

/** The interrupt handler the workspace calls: what was said so far, then why it stopped. */
function onSignal(
  report: Report,
  onInterrupt: OnInterrupt,
  extra: (ws: PlaintextWorkspace) => Message[] = () => [],
) {
  return (signal: NodeJS.Signals, ws: PlaintextWorkspace) => {
    report.add(interrupted(signal, ws));
    report.push(...extra(ws));
    onInterrupt(signal, report.messages);
  };
}

export interface EditOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  evaluator: SecretsEvaluator;
  /** Start from this kept edit instead of the master file. */
  resume?: string;
  /** Regenerate the flake (the `gen` command) when it is missing or node files changed. */
  regenerate?: Regenerate;
  onInterrupt: OnInterrupt;
  /** How to spell the command in messages. */
  commandName?: string;
}

/** `secrets edit`. */
export async function editSecrets(o: EditOptions): Promise<Outcome> {
  const report = new Report();
  const cmd = o.commandName ?? "nixverse-gen secrets edit";
  report.add(...staleWorkspaceWarnings(o.env, o.resume));
  const l = started(await loadForSecrets(o.root, o.env), report);
  if (!l) return report.done(1);
  const m = await readMaster(l);
  if (!m.ok) return report.failed(...m.errors);
  const master = m.value;
  const template = secretsTemplate(l.model);
  let start = master.plaintext ?? template;
  if (o.resume) {
    try {
      start = readFileSync(o.resume, "utf8");
    } catch (e) {
      return report.failed(
        diag(
          "resume-unreadable",
          `cannot read the edit to resume (${o.resume}): ${(e as Error).message}`,
        ),
      );
    }
  }

  // The command on a line of its own, to copy.
  const resumeHint = (file: string): Message[] => [
    {
      kind: "diagnostic",
      diagnostic: warning(
        "edit-kept",
        `your edit is kept in ${file} (readable by you only); fix it, then run:`,
      ),
    },
    { kind: "text", stream: "stderr", text: `  ${cmd} --resume ${shellWord(file)}\n` },
  ];
  const ws = PlaintextWorkspace.create(
    onSignal(report, o.onInterrupt, (w) => (w.keptFile ? resumeHint(w.keptFile) : [])),
    o.env,
  );
  const file = ws.write(EDIT_FILE, start);
  // Kept on failure only when it holds something the master file does not.
  ws.keep = {
    file,
    when: () => readFileSync(file, "utf8") !== (master.plaintext ?? template),
  };
  let ok = false;
  try {
    const editor = o.env.SOPS_EDITOR || o.env.EDITOR || "vi";
    const status = await ws.editing(
      () =>
        new Promise<number | null>((resolve, reject) => {
          // `exec`, so a signal we forward reaches the editor itself, not an intermediate shell.
          const child = ws.spawn("sh", ["-c", `exec ${editor} "$1"`, "sh", file], {
            stdio: "inherit",
            env: o.env,
          });
          child.on("error", reject);
          child.on("exit", (code) => resolve(code));
        }),
    );
    if (status !== 0) {
      return report.failed(
        diag(
          "editor-failed",
          `the editor (${editor}) exited with status ${status}; nothing was written`,
        ),
      );
    }
    // Editors that save by replacing the file may not keep its mode.
    chmodSync(file, 0o600);
    const edited = readFileSync(file, "utf8");
    const changed = master.plaintext === null || edited !== master.plaintext;

    // The evaluation needs the generated flake: make it on a fresh tree.
    if (!existsSync(join(l.root, "flake.nix")) && o.regenerate) {
      if (!(await regenerateAfter(report, o.regenerate, "no flake.nix yet: generating it first")))
        return report.done(1);
    }
    const planned = await evaluateAndPlan(l, o, report, ws, file, false);
    if (!planned) return report.done(1);
    const { ev } = planned;
    const changes = planned.changes;
    if (changed) changes.push(...(await encryptMaster(l, master, edited)));
    else changes.push(...moveMaster(master));
    await ws.commit(() => applyChanges(l.root, changes));
    ok = true;
    // The resumed edit is committed now; a file of the user's own (not a kept edit) stays.
    if (o.resume && isKeptEdit(o.resume, o.env)) removeKeptEdit(o.resume);
    summarize(report, changes);
    if (!changed) report.note(`${master.rel} is unchanged`);
    for (const s of staleNodeFiles(l, new Set(ev.value.nodeNames))) report.note(`note: ${s}`);
    if (changes.length === 0) report.note("no file changed");
    if (changes.some((c) => c.created || c.content === null) && o.regenerate) {
      const regenerated = await regenerateAfter(
        report,
        o.regenerate,
        "the nodes with secrets changed: regenerating the flake",
      );
      if (!regenerated)
        return report.failed(
          diag(
            "regenerate-failed",
            "the secrets were written, but regenerating the flake failed: run `nixverse-gen gen`",
          ),
        );
    }
    return report.done(0);
  } catch (e) {
    return report.failed(...diagnosticsOf(l, e));
  } finally {
    ws.close(!ok);
    let kept = ws.keptFile;
    // A failed resume of a kept edit keeps the new text in that same file: one copy, one hint.
    if (!ok && kept && o.resume && isKeptEdit(o.resume, o.env)) {
      writeFileSync(o.resume, readFileSync(kept), { mode: 0o600 });
      removeKeptEdit(kept);
      kept = o.resume;
    }
    if (!ok && kept) report.push(...resumeHint(kept));
  }
}

function removeKeptEdit(file: string): void {
  rmSync(file, { force: true });
  try {
    rmdirSync(dirname(file));
  } catch {
    // not empty: leave it
  }
}

export interface RekeyOptions {
  root: string;
  env: NodeJS.ProcessEnv;
  evaluator: SecretsEvaluator;
  regenerate?: Regenerate;
  onInterrupt: OnInterrupt;
}

/**
 * `secrets rekey`: master file and host keys re-encrypted to the current .sops.yaml recipients
 * (with a fresh data key when they changed), per-node files to the current host keys.
 */
export async function rekeySecrets(o: RekeyOptions): Promise<Outcome> {
  const report = new Report();
  report.add(...staleWorkspaceWarnings(o.env));
  const l = started(await loadForSecrets(o.root, o.env), report);
  if (!l) return report.done(1);
  const m = await readMaster(l);
  if (!m.ok) return report.failed(...m.errors);
  const master = m.value;
  if (master.plaintext === null) {
    return report.failed(
      diag(
        "secrets-missing",
        "No secrets file exists; run `nixverse-gen secrets edit` to create one",
      ),
    );
  }
  const ws = PlaintextWorkspace.create(onSignal(report, o.onInterrupt), o.env);
  try {
    const file = ws.write(EDIT_FILE, master.plaintext);
    const planned = await evaluateAndPlan(l, o, report, ws, file, true);
    if (!planned) return report.done(1);
    const changes = planned.changes;
    const { recipients } = masterRule(l, master.target);
    const current = master.metadata?.age.map((e) => e.recipient) ?? [];
    const same =
      current.length === recipients.length && current.every((r) => recipients.includes(r));
    if (!same) {
      // A recipient was removed or added: a fresh data key, so an old key cannot open new versions.
      changes.push(
        ...(await encryptMaster(
          l,
          { ...master, dataKey: undefined, metadata: undefined },
          master.plaintext,
        )),
      );
    } else changes.push(...moveMaster(master));
    await ws.commit(() => applyChanges(l.root, changes));
    summarize(report, changes);
    if (changes.length === 0)
      report.note("every secrets file is already encrypted to the current keys");
    if (changes.some((c) => c.created || c.content === null) && o.regenerate) {
      const regenerated = await regenerateAfter(
        report,
        o.regenerate,
        "the nodes with secrets changed: regenerating the flake",
      );
      if (!regenerated) return report.done(1);
    }
    return report.done(0);
  } catch (e) {
    return report.failed(...diagnosticsOf(l, e));
  } finally {
    ws.close(false);
  }
}
