// `secrets edit` and `secrets rekey`: decrypt the master file into the private workspace, let the
// user edit it, evaluate it with Nix, plan host keys and per-node files, then write everything in
// one transaction. Any failure before that leaves every committed file as it was and keeps the
// edit (0600) with a message saying how to resume.

import { chmodSync, existsSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { diag } from "../errors.js";
import { shQuote } from "../hook/script.js";
import { applyChanges } from "./commit.js";
import { loadForSecrets, printAll, type Loaded, type SecretsIo } from "./context.js";
import type { SecretsEvaluator } from "./evaluate.js";
import { encryptMaster, masterRule, moveMaster, readMaster, secretsTemplate } from "./master.js";
import { planNodes, type FileChange } from "./node-files.js";
import { SopsConfigError } from "./sops-config.js";
import { EDIT_FILE, isKeptEdit, PlaintextWorkspace, staleWorkspaces } from "./workspace.js";

/** What an interrupt did, truthfully: before the commit nothing changed, after it all did. */
function interruptedLine(signal: NodeJS.Signals, ws: PlaintextWorkspace): string {
  return ws.committed
    ? `\nnixverse-gen: interrupted (${signal}) after every secrets file was written; run \`nixverse-gen gen\` if the flake needs regenerating\n`
    : `\nnixverse-gen: interrupted (${signal}); no committed file was changed\n`;
}

const exitStatus = (signal: NodeJS.Signals) =>
  signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129;

/** A path as it can be pasted into a shell (a temp dir's name may hold spaces, `$` or quotes). */
const shellWord = (p: string): string => (/^[\w./@%+=:,-]+$/.test(p) ? p : shQuote(p));

/** Plaintext an earlier run could not remove (SIGKILL, a crash) or kept for --resume. */
export function reportStaleWorkspaces(io: SecretsIo, except?: string): void {
  for (const d of staleWorkspaces(io.env)) {
    if (except && dirname(except) === d) continue;
    const edit = join(d, EDIT_FILE);
    io.stderr.write(
      existsSync(edit)
        ? `nixverse-gen: warning: ${edit} holds decrypted secrets from an earlier run: resume it with \`--resume ${shellWord(edit)}\` or delete ${d}\n`
        : `nixverse-gen: warning: ${d} was left by an earlier run that was killed and may hold decrypted secrets: delete it\n`,
    );
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

/**
 * Evaluates the master expression and plans host keys and per-node files: the step `edit` and
 * `rekey` share. Errors are printed; null means "exit 1".
 */
async function evaluateAndPlan(
  l: Loaded,
  o: { io: SecretsIo; evaluator: SecretsEvaluator },
  ws: PlaintextWorkspace,
  file: string,
  rekeyHostKeys: boolean,
) {
  const ev = await o.evaluator(ws, file);
  if (!ev.ok) {
    printAll(o.io, ev.errors);
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
    printAll(o.io, planned.errors);
    return null;
  }
  return { ev, changes: [...planned.value.changes] };
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
  reportStaleWorkspaces(io, o.resume);
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
    `nixverse-gen: your edit is kept in ${file} (readable by you only); fix it, then run:\n  ${cmd} --resume ${shellWord(file)}\n`;
  const ws = PlaintextWorkspace.create((signal, w) => {
    io.stderr.write(interruptedLine(signal, w));
    if (w.keptFile) io.stderr.write(resumeHint(w.keptFile));
    process.exit(exitStatus(signal));
  }, io.env);
  const file = ws.write(EDIT_FILE, start);
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
    const planned = await evaluateAndPlan(l, o, ws, file, false);
    if (!planned) return 1;
    const { ev } = planned;
    const changes = planned.changes;
    try {
      if (changed) changes.push(...(await encryptMaster(l, master, edited)));
      else changes.push(...moveMaster(master));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      printAll(io, [diag("sops-config", e.message, { file: l.model.sopsConfig ?? ".sops.yaml" })]);
      return 1;
    }
    await ws.commit(() => applyChanges(l.root, changes));
    ok = true;
    // The resumed edit is committed now; a file of the user's own (not a kept edit) stays.
    if (o.resume && isKeptEdit(o.resume, io.env)) removeKeptEdit(o.resume);
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
    let kept = ws.keptFile;
    // A failed resume of a kept edit keeps the new text in that same file: one copy, one hint.
    if (!ok && kept && o.resume && isKeptEdit(o.resume, io.env)) {
      writeFileSync(o.resume, readFileSync(kept), { mode: 0o600 });
      removeKeptEdit(kept);
      kept = o.resume;
    }
    if (!ok && kept) io.stderr.write(resumeHint(kept));
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
  reportStaleWorkspaces(io);
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
  const ws = PlaintextWorkspace.create((signal, w) => {
    io.stderr.write(interruptedLine(signal, w));
    process.exit(exitStatus(signal));
  }, io.env);
  try {
    const file = ws.write(EDIT_FILE, master.plaintext);
    const planned = await evaluateAndPlan(l, o, ws, file, true);
    if (!planned) return 1;
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
