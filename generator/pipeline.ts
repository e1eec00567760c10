// tree on disk → files to write: the whole generator between the scan and the write, as one call.

import { existsSync } from "node:fs";
import path from "node:path";
import type { Config } from "./config/defaults.js";
import { DEFAULT_CONFIG } from "./config/defaults.js";
import type { Diagnostic, Result } from "./errors.js";
import { fail, ok, warning } from "./errors.js";
import type { LoadedFleet } from "./model/load.js";
import { loadFleet } from "./model/load.js";
import { incompleteWarning } from "./model/fleet.js";
import { parseNix } from "./nix/parse.js";
import { checkSources } from "./model/sources.js";
import type { InputsPlan } from "./plan/inputs.js";
import { planInputs } from "./plan/inputs.js";
import type { UserInputs } from "./plan/user-inputs.js";
import { readUserInputs } from "./plan/user-inputs.js";
import type { GeneratedFiles } from "./render/generated.js";
import { renderAll } from "./render/generated.js";
import { readOptional } from "./io/files.js";

export interface Generation {
  root: string;
  fleet: LoadedFleet;
  config: Config;
  inputs: InputsPlan;
  files: GeneratedFiles;
  warnings: Diagnostic[];
}

export async function loadConfig(root: string): Promise<Result<Config>> {
  const text = await readOptional(path.join(root, "nixverse.yaml"));
  if (text === null) return ok(structuredClone(DEFAULT_CONFIG));
  const { parseConfig } = await import("./config/config.js");
  return parseConfig(text);
}

export async function loadUserInputs(root: string): Promise<Result<UserInputs | null>> {
  const text = await readOptional(path.join(root, "inputs.nix"));
  if (text === null) return ok(null);
  const parsed = parseNix(text, "inputs.nix");
  return parsed.ok ? readUserInputs(parsed.value) : parsed;
}

/** Files loadFleet and loadUserInputs parse (and report) themselves. */
const ENTITY_FILE = /^(private\/)?nodes\/[^/]+\/(node|host|group)\.nix$|^inputs\.nix$/;

/** A file imported from a node's meta is parsed by the model and by checkSources: report once. */
function uniqueDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.file}:${d.line}:${d.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export async function planGeneration(root: string): Promise<Result<Generation>> {
  const absRoot = path.resolve(root);
  const [config, userInputs, fleet, sources] = await Promise.all([
    loadConfig(absRoot),
    loadUserInputs(absRoot),
    loadFleet(absRoot),
    checkSources(absRoot, ENTITY_FILE),
  ]);
  const errors = uniqueDiagnostics([
    ...[config, userInputs, fleet].flatMap((r) => (r.ok ? [] : r.errors)),
    ...sources,
  ]);
  if (!config.ok || !userInputs.ok || !fleet.ok || errors.length) return fail(...errors);
  const declared = userInputs.value?.names ?? [];
  const inputs = planInputs(fleet.value.model, declared, config.value, userInputs.value?.urls);
  if (!inputs.ok) return inputs;
  for (const [node, problem] of Object.entries(inputs.value.problems))
    fleet.value.warnings.push(incompleteWarning(node, problem));
  const files = renderAll(fleet.value.model, inputs.value, userInputs.value, config.value);
  return ok({
    root: absRoot,
    fleet: fleet.value,
    config: config.value,
    inputs: inputs.value,
    files,
    warnings: [...fleet.value.warnings, ...submoduleHint(absRoot, fleet.value, config.value)],
  });
}

/**
 * A private/ git submodule is invisible to a plain `--flake .#node` (git+file without
 * submodules, on every Nix version); the runner adds `?submodules=1` itself, a user typing
 * nixos-rebuild does not. Said once per run, with a real node name.
 */
function submoduleHint(root: string, fleet: LoadedFleet, config: Config): Diagnostic[] {
  if (config.submodules || !existsSync(path.join(root, "private", ".git"))) return [];
  const nodes = Object.values(fleet.model.nodes).sort((a, b) => (a.name < b.name ? -1 : 1));
  const node = nodes.find((n) => n.os.value === "nixos") ?? nodes[0];
  const name = node?.name ?? "<node>";
  const tool = node?.os.value === "darwin" ? "darwin-rebuild" : "nixos-rebuild";
  return [
    warning(
      "private-submodule",
      `private/ is a git submodule, which \`--flake .#${name}\` leaves out: use \`sudo ${tool} switch --flake '.?submodules=1#${name}'\` (nix run . -- node deploy adds it itself)`,
      { file: "private" },
      "or set `submodules: true` in nixverse.yaml (needs Nix ≥ 2.27) and plain `.#<node>` works",
    ),
  ];
}
