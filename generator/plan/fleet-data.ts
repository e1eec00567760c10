// The fleet model as the data the runtime library reads (docs/fleet-data.md): explicit, ordered,
// with Nix paths to files that exist, so the runtime never scans the tree.

import type { Config } from "../config/config.js";
import type { Diagnostic } from "../errors.js";
import type { FleetModel, NamedFiles } from "../model/types.js";
import type { NixValue } from "../nix/value.js";
import { NixCommented, NixPath } from "../nix/value.js";
import type { InputsPlan } from "./inputs.js";
import { pairKey } from "./inputs.js";

/** fleet.nix lives in nixverse/, one level below the flake root. */
const p = (rel: string) => new NixPath(`../${rel}`);
const paths = (rels: string[]) => rels.map(p);
const named = (files: NamedFiles): NixValue =>
  Object.fromEntries(Object.entries(files).map(([k, v]) => [k, paths(v)]));

export const FLEET_DATA_VERSION = 1;

/** Problems that stop only the node's configuration; its meta still evaluates. */
const BUILD_ONLY = new Set(["configuration-missing", "input-missing"]);

/** `file:line:col: message (hint)`, the text an incomplete node throws when evaluated. */
function brokenMessage(d: Diagnostic): string {
  const at = d.file ? `${d.file}${d.line ? `:${d.line}:${d.column ?? 1}` : ""}: ` : "";
  return `${at}${d.message}${d.hint ? ` (${d.hint})` : ""}`;
}

export function fleetData(
  model: FleetModel,
  inputs: InputsPlan,
  config: Config,
  runnerVersion: string,
): NixValue {
  const nodes: Record<string, NixValue> = {};
  for (const n of Object.values(model.nodes)) {
    const problem = n.problem ?? inputs.problems[n.name];
    nodes[n.name] = {
      dir: n.dir,
      os: n.os.value,
      channel: n.channel.value,
      system: n.system?.value ?? null,
      inputs: pairKey(n.channel.value, n.os.value),
      parents: n.parents,
      groups: [...new Set(n.groupNames)],
      // meta's literal tags, for `@tag` selection without evaluating anything
      ...(n.tags.length ? { tags: n.tags } : {}),
      meta: n.metaDefs.map((d) => ({ file: p(d.file), attr: d.attr })),
      configuration: paths(n.configuration),
      hardware: paths(n.hardware),
      diskConfig: paths(n.diskConfig),
      home: Object.fromEntries(Object.entries(n.home).map(([u, f]) => [u, paths(f)])),
      secrets: n.secretsFile ? p(n.secretsFile) : null,
      hostKeyPub: n.hostKeyPub ? p(n.hostKeyPub) : null,
      // An incomplete node throws this when built (`unbuildable`: no configuration.nix, missing
      // inputs) or already when its meta is read (`broken`: no channel, no system); nothing else
      // does, as in Nixverse HEAD.
      ...(problem
        ? {
            [BUILD_ONLY.has(problem.code) ? "unbuildable" : "broken"]: brokenMessage(problem),
          }
        : {}),
    };
  }
  const groups: Record<string, NixValue> = {};
  for (const g of Object.values(model.groups)) {
    groups[g.name] = {
      dir: g.dir,
      parents: g.parents,
      groups: [...new Set(g.groupNames)],
      children: g.children,
      descendants: g.descendants,
      nodes: g.nodes,
    };
  }
  return {
    version: FLEET_DATA_VERSION,
    // Read by nixverse/run.sh without evaluating (`--version`), so it stays one literal line.
    runnerVersion,
    deploy: new NixCommented("nixverse.yaml's deploy settings, for the runner.", {
      parallel: config.deploy.parallel,
      ...(config.deploy.builders === null ? {} : { builders: config.deploy.builders }),
    }),
    hasPrivate: model.hasPrivate,
    nodeType: new NixCommented(
      'A machine\'s `type` as user code reads it: "host" (Nixverse HEAD) or "node" (b1b80d5).',
      model.nodeType,
    ),
    libInput: new NixCommented(
      "Whose lib evaluates meta, lib', the secrets file and outputs.",
      inputs.libInput,
    ),
    lib: paths(model.lib),
    pkgs: new NixCommented(
      "The winning file per package (private beats public).",
      Object.fromEntries(Object.entries(model.pkgs).map(([k, v]) => [k, p(v[0]!)])),
    ),
    modules: new NixCommented(
      "name → files, public then private; modules/os is in nixos and darwin.",
      {
        nixos: named(model.modules.nixos),
        darwin: named(model.modules.darwin),
        home: named(model.modules.home),
        flake: named(model.modules.flake),
      },
    ),
    outputs: {
      flake: named(model.outputs.flake),
      perSystem: named(model.outputs.perSystem),
      flakeParts: paths(model.outputs.flakeParts),
      systems: config.systems,
    },
    inputTables: new NixCommented(
      "(channel, os) → name in inputs' → flake input (-<channel>-<os> > -<channel> > -any > own name).",
      inputs.tables,
    ),
    nodes: new NixCommented(
      "meta: definitions in Nixverse's order; files: what each node imports, in order.",
      nodes,
    ),
    groups,
  };
}
