// What every `secrets` command starts from: the fleet model, its .sops.yaml and the master age
// identities, or the diagnostics saying why not. And what every command ends with: an Outcome,
// the messages in order and the exit status, which only generator/cli/ prints.

import { join } from "node:path";
import { diag, fail, ok, warning, type Diagnostic, type Result } from "../errors.js";
import { loadFleet } from "../model/load.js";
import type { FleetModel } from "../model/types.js";
import { loadMasterIdentities, type IdentitySet } from "./age.js";
import { loadSopsConfig, SopsConfigError, type SopsConfig } from "./sops-config.js";

/**
 * One thing a command has to say: a progress or summary line (stdout, after `nixverse-gen: `), a
 * diagnostic (stderr, through the CLI's one printer), or text passed on verbatim (a decrypted
 * file for stdout, the report of the `gen` run a secrets command triggered).
 */
export type Message =
  | { kind: "note"; text: string }
  | { kind: "diagnostic"; diagnostic: Diagnostic }
  | { kind: "text"; stream: "stdout" | "stderr"; text: string };

export interface Outcome {
  /** 0 done, 1 failed (nothing was written unless a message says otherwise). */
  status: number;
  messages: Message[];
}

/** Collects a command's messages in order; `done`/`failed` make its Outcome. */
export class Report {
  readonly messages: Message[] = [];
  note(text: string): void {
    this.messages.push({ kind: "note", text });
  }
  add(...ds: Diagnostic[]): void {
    for (const d of ds) this.messages.push({ kind: "diagnostic", diagnostic: d });
  }
  text(stream: "stdout" | "stderr", text: string): void {
    this.messages.push({ kind: "text", stream, text });
  }
  push(...ms: Message[]): void {
    this.messages.push(...ms);
  }
  done(status = 0): Outcome {
    return { status, messages: this.messages };
  }
  failed(...ds: Diagnostic[]): Outcome {
    this.add(...ds);
    return this.done(1);
  }
}

/** The `gen` a secrets command runs after node files appeared or went away; the CLI supplies it. */
export type Regenerate = () => Promise<Outcome>;

/**
 * What the CLI does on SIGINT/SIGTERM/SIGHUP once the workspace is cleaned up: print what the
 * command has said so far and exit with the signal's status. Runs synchronously.
 */
export type OnInterrupt = (signal: NodeJS.Signals, said: Message[]) => void;

export interface Loaded {
  root: string;
  model: FleetModel;
  sopsConfig: SopsConfig;
  identities: IdentitySet;
  /** The fleet's warnings and problems with the age keys: reported, not fatal. */
  warnings: Diagnostic[];
}

/** The fleet, its .sops.yaml and the master identities, or why not. */
export async function loadForSecrets(
  root: string,
  env: NodeJS.ProcessEnv,
  needConfig = true,
): Promise<Result<Loaded>> {
  const fleet = await loadFleet(root);
  if (!fleet.ok) return fleet;
  const model = fleet.value.model;
  const warnings = [...fleet.value.warnings];
  if (!model.sopsConfig && needConfig) {
    return fail(
      diag(
        "sops-config-missing",
        `Missing the .sops.yaml file in ${root}`,
        undefined,
        "create .sops.yaml with `creation_rules: [ { age: <your public key> } ]`; `age-keygen -y ~/.config/sops/age/keys.txt` prints it",
      ),
    );
  }
  let sopsConfig: SopsConfig = { file: join(root, ".sops.yaml"), creationRules: [] };
  if (model.sopsConfig) {
    try {
      sopsConfig = loadSopsConfig(join(root, model.sopsConfig));
    } catch (e) {
      if (!(e instanceof SopsConfigError)) throw e;
      return fail(sopsConfigDiagnostic(model, e));
    }
  }
  const identities = loadMasterIdentities(env);
  for (const p of identities.problems) warnings.push(warning("age-identity", p));
  return ok({ root, model, sopsConfig, identities, warnings });
}

export const sopsConfigDiagnostic = (model: FleetModel, e: SopsConfigError): Diagnostic =>
  diag("sops-config", e.message, { file: model.sopsConfig ?? ".sops.yaml" });

/** A failed load as an Outcome (its diagnostics), or the loaded fleet with its warnings reported. */
export function started(r: Result<Loaded>, report: Report): Loaded | null {
  if (!r.ok) {
    report.add(...r.errors);
    return null;
  }
  report.add(...r.value.warnings);
  return r.value;
}
