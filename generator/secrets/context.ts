// What every `secrets` command starts from: the fleet model, its .sops.yaml and the master age
// identities, or the diagnostics saying why not.

import { join } from "node:path";
import type { Output } from "../cli/command.js";
import { diag, formatDiagnostic, type Diagnostic } from "../errors.js";
import { loadFleet } from "../model/load.js";
import type { FleetModel } from "../model/types.js";
import { loadMasterIdentities, type IdentitySet } from "./age.js";
import { loadSopsConfig, SopsConfigError, type SopsConfig } from "./sops-config.js";

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

export function printAll(io: SecretsIo, ds: Diagnostic[]): void {
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
  for (const w of fleet.value.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
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
