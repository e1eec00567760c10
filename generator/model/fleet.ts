// Entities + scanned files → the fleet model. Pure apart from the `load` callback the static
// evaluator uses to follow `imports` in meta definitions.

import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok, warning } from "../errors.js";
import type { ParsedFile } from "../nix/ast.js";
import type { Tree } from "../scan/scan.js";
import type { Entities } from "./entities.js";
import {
  allImportPaths,
  bothExist,
  findFiles,
  findHomeFiles,
  findHostKeyPub,
  findNodeSecrets,
  lookupDirs,
  pickOne,
  sortKeys,
} from "./files.js";
import { resolveNodeMeta, StaticMetaReader } from "./static-meta.js";
import type { FleetModel, GroupModel, NamedFiles, NodeModel } from "./types.js";

export function buildFleet(
  tree: Tree,
  entities: Entities,
  load: (file: string) => Result<ParsedFile>,
): Result<{ model: FleetModel; warnings: Diagnostic[] }> {
  const files = tree.files;
  const errors: Diagnostic[] = [];
  const warnings: Diagnostic[] = [];
  const reader = new StaticMetaReader(load);

  const nodes: Record<string, NodeModel> = {};
  for (const n of [...entities.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const meta = resolveNodeMeta(n.name, n.defs, reader);
    if (!meta.ok) {
      errors.push(...meta.errors);
      continue;
    }
    const dirs = lookupDirs(n.dir, n.groupNames);
    const configuration = findFiles(files, dirs, "configuration.nix");
    if (configuration.length === 0) {
      errors.push(
        diag(
          "configuration-missing",
          `Missing ${n.dir}/configuration.nix`,
          { file: n.defs[n.defs.length - 1]?.file ?? n.dir },
          `node ${n.name} needs at least one configuration.nix: in ${n.dir}/, nodes/common/ or a parent group's common/ (it may be just \`{ }\`)`,
        ),
      );
    }
    const home = findHomeFiles(files, n.dir, n.groupNames);
    errors.push(...home.errors);
    const secrets = findNodeSecrets(files, n.dir);
    errors.push(...secrets.errors);
    nodes[n.name] = {
      name: n.name,
      dir: n.dir,
      createdByGroup: n.createdByGroup,
      parents: n.parents,
      groupNames: n.groupNames,
      metaDefs: n.defs.map((d) => ({ file: d.file, attr: d.attr, loc: d.loc })),
      os: meta.value.os,
      channel: meta.value.channel,
      system: meta.value.system,
      configuration,
      hardware: findFiles(files, dirs, "hardware-configuration.nix"),
      diskConfig: meta.value.os.value === "nixos" ? findFiles(files, dirs, "disk-config.nix") : [],
      home: home.home,
      secretsFile: secrets.file,
    };
  }

  const groups: Record<string, GroupModel> = {};
  for (const g of [...entities.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    groups[g.name] = { ...g };
  }

  // Files beside nodes/: public layer first, private second.
  const layers = tree.hasPrivate ? ["", "private/"] : [""];
  // One of x.nix / x/default.nix per layer: lib', and b1b80d5-style flake-parts outputs.
  const perLayer = (name: string) =>
    layers.flatMap((p) => pickOne(files, p.slice(0, -1), name, errors) ?? []);
  const lib = perLayer("lib");

  const pkgsAll = allImportPaths(
    files,
    layers.map((p) => `${p}pkgs`),
    errors,
  );
  // A private package replaces the public one outright (REFERENCE §8.2).
  const pkgs: NamedFiles = Object.fromEntries(
    Object.entries(pkgsAll).map(([k, v]) => [k, [v[v.length - 1]!]]),
  );

  const modulesOf = (type: string) =>
    allImportPaths(
      files,
      layers.map((p) => `${p}modules/${type}`),
      errors,
    );
  const osModules = modulesOf("os");
  const withOs = (type: "nixos" | "darwin"): NamedFiles => {
    const own = modulesOf(type);
    for (const name of Object.keys(osModules)) {
      if (own[name]) {
        errors.push(
          diag(
            "module-collision",
            `Module \`${name}\` exists in both \`modules/os\` and \`modules/${type}\``,
            { file: own[name]![0]! },
            "modules/os is shared by nixos and darwin; rename one of them",
          ),
        );
      }
    }
    return sortKeys({ ...osModules, ...own });
  };
  const modules = {
    nixos: withOs("nixos"),
    darwin: withOs("darwin"),
    home: modulesOf("home"),
    flake: modulesOf("flake"),
  };

  const flakeParts = perLayer("outputs");
  const outputs = {
    flake: allImportPaths(
      files,
      layers.map((p) => `${p}outputs/flake`),
      errors,
    ),
    perSystem: allImportPaths(
      files,
      layers.map((p) => `${p}outputs/perSystem`),
      errors,
    ),
    flakeParts,
  };
  // outputs/default.nix is the flake-parts module, not a file-based output named "default".
  delete outputs.flake["default"];

  let masterSecrets: string | null = null;
  if (files.has("secrets.yaml") && files.has("private/secrets.yaml")) {
    errors.push(bothExist("secrets.yaml", "private/secrets.yaml"));
  } else {
    masterSecrets = ["private/secrets.yaml", "secrets.yaml"].find((f) => files.has(f)) ?? null;
  }
  let sopsConfig: string | null = null;
  if (files.has(".sops.yaml") && files.has("private/.sops.yaml")) {
    warnings.push(
      warning(
        "both-exist",
        "Both .sops.yaml and private/.sops.yaml exist, only one is allowed; using private/.sops.yaml",
        { file: ".sops.yaml" },
      ),
    );
  }
  sopsConfig = ["private/.sops.yaml", ".sops.yaml"].find((f) => files.has(f)) ?? null;

  for (const n of Object.values(nodes)) n.hostKeyPub = findHostKeyPub(files, n.dir);

  if (errors.length) return fail(...errors);
  return ok({
    model: {
      root: tree.root,
      hasPrivate: tree.hasPrivate,
      nodes,
      groups,
      lib,
      pkgs,
      modules,
      outputs,
      masterSecrets,
      sopsConfig,
      makefiles: ["Makefile", "private/Makefile"].filter((f) => files.has(f)),
    },
    warnings,
  });
}
