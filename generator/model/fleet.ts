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
import { ignoredFiles } from "./ignored.js";
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
  const incomplete: { node: string; d: Diagnostic }[] = [];
  for (const n of [...entities.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const meta = resolveNodeMeta(n.name, n.defs, reader);
    if (!meta.ok) {
      errors.push(...meta.errors);
      continue;
    }
    const dirs = lookupDirs(n.dir, n.groupNames);
    const configuration = findFiles(files, dirs, "configuration.nix");
    let problem = meta.value.problem;
    if (configuration.length === 0) {
      problem ??= diag(
        "configuration-missing",
        `Missing ${n.dir}/configuration.nix`,
        { file: n.defs[n.defs.length - 1]?.file ?? n.dir },
        `node ${n.name} needs at least one configuration.nix: in ${n.dir}/, nodes/common/ or a parent group's common/ (it may be just \`{ }\`)`,
      );
    }
    if (problem) incomplete.push({ node: n.name, d: problem });
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
      tags: meta.value.tags,
      configuration,
      hardware: findFiles(files, dirs, "hardware-configuration.nix"),
      diskConfig: meta.value.os.value === "nixos" ? findFiles(files, dirs, "disk-config.nix") : [],
      home: home.home,
      secretsFile: secrets.file,
      ...(problem ? { problem } : {}),
    };
  }

  warnings.push(...onePerCause(incomplete));

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

  const bundles = bundleNames(files);
  const pkgs = userPackages(files, bundles, errors, warnings);
  const modules = {
    nixos: userModules(files, bundles, "nixos", errors),
    darwin: userModules(files, bundles, "darwin", errors),
    home: userModules(files, bundles, "home", errors),
    flake: userModules(files, bundles, "flake", errors),
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
  warnings.push(...ignoredFiles(files, entities));

  if (errors.length) return fail(...errors);
  return ok({
    model: {
      root: tree.root,
      hasPrivate: tree.hasPrivate,
      nodeType: nodeTypeOf(files),
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

/** HEAD's "host" unless only b1b80d5's node.nix files are there (support both: detectable). */
function nodeTypeOf(files: ReadonlySet<string>): "host" | "node" {
  let node = false;
  for (const f of files) {
    if (/(^|\/)nodes\/[^/]+\/host\.nix$/.test(f)) return "host";
    if (/(^|\/)nodes\/[^/]+\/node\.nix$/.test(f)) node = true;
  }
  return node ? "node" : "host";
}

/** What the same missing piece says for several nodes whose meta lives in the same file. */
const MERGED: Record<string, (names: string) => { message: string; hint?: string }> = {
  "meta-system-missing": (names) => ({
    message: `Missing required meta configuration \`system\` for nodes ${names}`,
  }),
  "meta-channel-missing": (names) => ({
    message: `Missing required meta configuration \`channel\` for nodes ${names}`,
  }),
  "configuration-missing": (names) => ({
    message: `Missing configuration.nix for nodes ${names}`,
    hint: "each node needs at least one configuration.nix: in its directory, nodes/common/ or a parent group's common/ (it may be just `{ }`)",
  }),
};

/**
 * One message per cause: members of a group whose common lacks a system (or a configuration.nix)
 * are named in one warning at the first one's place, not one warning per member.
 */
function onePerCause(items: { node: string; d: Diagnostic }[]): Diagnostic[] {
  const byCause = new Map<string, { nodes: string[]; d: Diagnostic }>();
  for (const { node, d } of items) {
    const key = MERGED[d.code] ? `${d.code}|${d.file}` : `${node}|${d.code}`;
    const seen = byCause.get(key);
    if (seen) seen.nodes.push(node);
    else byCause.set(key, { nodes: [node], d });
  }
  return [...byCause.values()].map(({ nodes, d }) => {
    if (nodes.length === 1) return incompleteWarning(nodes[0]!, d);
    const m = MERGED[d.code]!(nodes.join(", "));
    return {
      ...d,
      severity: "warning",
      message: `${m.message}; gen goes on, and evaluating them fails with this message until it is fixed`,
      ...(m.hint ? { hint: m.hint } : {}),
    };
  });
}

/** An incomplete node is a warning: the fleet builds, that node throws the message when built. */
export function incompleteWarning(node: string, problem: Diagnostic): Diagnostic {
  return {
    ...problem,
    severity: "warning",
    message: `${problem.message}; gen goes on, and evaluating node ${node} fails with this message until it is fixed`,
  };
}

// ── pkgs/, modules/<type>/ and bundles/<name>/{pkgs,modules/<type>} (Nixverse HEAD) ──

/** Bundle names as HEAD lists them: private/bundles first, then bundles/, each sorted, unique. */
export function bundleNames(files: ReadonlySet<string>): string[] {
  const of = (prefix: string) => {
    const names = new Set<string>();
    for (const f of files) {
      const m = new RegExp(`^${prefix}bundles/([^/]+)/`).exec(f);
      if (m) names.add(m[1]!);
    }
    return [...names].sort();
  };
  return [...new Set([...of("private/"), ...of("")])];
}

/** "pkgs/x.nix" → "pkgs", "bundles/b/modules/nixos/x/default.nix" → "bundles/b/modules/nixos". */
const dirOfEntry = (file: string, name: string) =>
  file.endsWith(`/${name}/default.nix`)
    ? file.slice(0, -`/${name}/default.nix`.length)
    : file.slice(0, -`/${name}.nix`.length);

function collision(
  kind: "Package" | "Module",
  name: string,
  a: string,
  b: string,
  hint: string,
): Diagnostic {
  return diag(
    `${kind.toLowerCase()}-collision`,
    `${kind} \`${name}\` exists in both \`${dirOfEntry(a, name)}\` and \`${dirOfEntry(b, name)}\``,
    { file: b },
    hint,
  );
}

/**
 * pkgs': one file per name. A private package replaces the public one outright, as in Nixverse;
 * bundles add theirs (private bundles first); a name in both pkgs/ and a bundle is an error, as in
 * HEAD's getUserPkgs.nix. Two bundles with one name: HEAD takes the first silently; we warn.
 */
function userPackages(
  files: ReadonlySet<string>,
  bundles: string[],
  errors: Diagnostic[],
  warnings: Diagnostic[],
): NamedFiles {
  const root = allImportPaths(files, ["private/pkgs", "pkgs"], errors);
  const inBundles = allImportPaths(
    files,
    [
      ...bundles.map((b) => `private/bundles/${b}/pkgs`),
      ...bundles.map((b) => `bundles/${b}/pkgs`),
    ],
    errors,
  );
  const out: NamedFiles = {};
  for (const [name, paths] of Object.entries(root)) out[name] = [paths[0]!];
  for (const [name, paths] of Object.entries(inBundles)) {
    if (root[name]) {
      errors.push(
        collision(
          "Package",
          name,
          root[name]![0]!,
          paths[0]!,
          "a bundle cannot replace a top-level package; rename one of them",
        ),
      );
      continue;
    }
    const owners = new Set(paths.map((p) => /bundles\/([^/]+)\//.exec(p)![1]!));
    if (owners.size > 1) {
      warnings.push(
        warning(
          "bundle-package-shadowed",
          `Package \`${name}\` exists in the bundles ${[...owners].join(", ")}; using ${paths[0]}`,
          { file: paths[1]! },
          "Nixverse takes the first bundle's silently; rename one to keep both",
        ),
      );
    }
    out[name] = [paths[0]!];
  }
  return sortKeys(out);
}

/**
 * modules' of one type: modules/<type> and, for nixos and darwin, modules/os (a name in both is an
 * error), public then private; then the bundles' the same way; a name both at the top level and
 * in a bundle is an error (HEAD's getUserModules.nix).
 */
function userModules(
  files: ReadonlySet<string>,
  bundles: string[],
  type: "nixos" | "darwin" | "home" | "flake",
  errors: Diagnostic[],
): NamedFiles {
  const ofRoots = (roots: string[]): NamedFiles => {
    const own = allImportPaths(
      files,
      roots.map((r) => `${r}/${type}`),
      errors,
    );
    if (type !== "nixos" && type !== "darwin") return own;
    const os = allImportPaths(
      files,
      roots.map((r) => `${r}/os`),
      errors,
    );
    for (const name of Object.keys(os)) {
      if (own[name])
        errors.push(
          collision(
            "Module",
            name,
            os[name]![0]!,
            own[name]![0]!,
            "modules/os is shared by nixos and darwin; rename one of them",
          ),
        );
    }
    return { ...os, ...own };
  };
  const root = ofRoots(["modules", "private/modules"]);
  const inBundles = ofRoots([
    ...bundles.map((b) => `bundles/${b}/modules`),
    ...bundles.map((b) => `private/bundles/${b}/modules`),
  ]);
  for (const name of Object.keys(inBundles)) {
    if (root[name])
      errors.push(
        collision(
          "Module",
          name,
          root[name]![0]!,
          inBundles[name]![0]!,
          "a bundle cannot extend a top-level module; rename one of them",
        ),
      );
  }
  return sortKeys({ ...root, ...inBundles });
}
