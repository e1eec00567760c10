// The I/O edge of the model stage: scan, read and parse the entity files, then hand everything to
// the pure linking and resolution functions.

import { readFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { Expr, ParsedFile } from "../nix/ast.js";
import { parseNix } from "../nix/parse.js";
import { staticAttrSet } from "../nix/static.js";
import type { Tree } from "../scan/scan.js";
import { scanTree } from "../scan/scan.js";
import type { EntityFile, Layer } from "./entities.js";
import { checkEntryNames, linkEntities } from "./entities.js";
import { buildFleet } from "./fleet.js";
import { checkUserNames } from "./names.js";
import type { FleetModel } from "./types.js";

export interface LoadedFleet {
  tree: Tree;
  model: FleetModel;
  warnings: Diagnostic[];
}

export async function loadFleet(root: string): Promise<Result<LoadedFleet>> {
  const absRoot = path.resolve(root);
  const tree = await scanTree(absRoot);
  const errors: Diagnostic[] = [
    ...tree.problems,
    ...checkEntryNames(tree.nodesEntries),
    ...checkUserNames(tree.files),
  ];

  const wanted: { layer: Layer; name: string; kind: "node" | "group"; file: string }[] = [];
  for (const layer of ["public", "private"] as const) {
    const prefix = layer === "private" ? "private/nodes" : "nodes";
    for (const e of tree.nodesEntries[layer]) {
      if (!e.isDir || e.name === "common") continue;
      const d = `${prefix}/${e.name}`;
      const nodeFiles = [`${d}/node.nix`, `${d}/host.nix`].filter((f) => tree.files.has(f));
      const groupFile = tree.files.has(`${d}/group.nix`) ? `${d}/group.nix` : null;
      if (nodeFiles.length === 2) {
        errors.push(
          diag(
            "both-exist",
            `Both ${nodeFiles[0]} and ${nodeFiles[1]} exist, only one is allowed`,
            { file: nodeFiles[1]! },
            "host.nix is a synonym of node.nix; keep one",
          ),
        );
        continue;
      }
      if (nodeFiles[0] && groupFile) {
        errors.push(
          diag(
            "node-and-group",
            `${e.name} cannot simultaneously be a node (${nodeFiles[0]}) and a group (${groupFile})`,
            { file: groupFile },
            "a directory under nodes/ holds either node.nix or group.nix",
          ),
        );
        continue;
      }
      if (nodeFiles[0]) wanted.push({ layer, name: e.name, kind: "node", file: nodeFiles[0] });
      if (groupFile) wanted.push({ layer, name: e.name, kind: "group", file: groupFile });
    }
  }

  const parsedFiles = await Promise.all(
    wanted.map(async (w) => ({ w, parsed: await parseFile(absRoot, w.file) })),
  );
  const entityFiles: EntityFile[] = [];
  for (const { w, parsed } of parsedFiles) {
    if (!parsed.ok) {
      errors.push(...parsed.errors);
      continue;
    }
    const p = parsed.value;
    const loc = { file: w.file, line: p.expr.span.start.line, column: p.expr.span.start.column };
    if (w.kind === "node") {
      entityFiles.push({ ...w, kind: "node", loc, expr: p.expr });
      continue;
    }
    const bindings = staticAttrSet(p);
    if (!bindings.ok) {
      for (const e of bindings.errors) {
        errors.push(
          e.code === "not-attrset"
            ? {
                ...e,
                code: "group-not-attrset",
                message: `Group must be an attribute set: ${w.file}`,
                hint: groupShapeHint(p.expr),
              }
            : e,
        );
      }
      continue;
    }
    entityFiles.push({ ...w, kind: "group", loc, bindings: bindings.value });
  }
  if (errors.length) return fail(...errors);

  const entities = linkEntities(entityFiles);
  if (!entities.ok) return entities;

  const built = buildFleet(tree, entities.value, (file) => parseFileSync(absRoot, file));
  if (!built.ok) return built;
  return ok({ tree, model: built.value.model, warnings: built.value.warnings });
}

async function parseFile(root: string, file: string): Promise<Result<ParsedFile>> {
  let text: string;
  try {
    text = await readFile(path.join(root, file), "utf8");
  } catch (e) {
    return fail(diag("read-failed", `cannot read ${file}: ${(e as Error).message}`, { file }));
  }
  return parseNix(text, file);
}

/** For following `imports = [ ./x.nix ]` in meta definitions. */
function parseFileSync(root: string, file: string): Result<ParsedFile> {
  let text: string;
  try {
    text = readFileSync(path.join(root, file), "utf8");
  } catch (e) {
    return fail(diag("read-failed", `cannot read ${file}: ${(e as Error).message}`, { file }));
  }
  return parseNix(text, file);
}

/** What to say about a group.nix that is not an attribute set, by what it is instead. */
function groupShapeHint(e: Expr): string {
  let x = e;
  while (x.kind === "Paren") x = x.expr;
  const shape = "write { common = { … }; member1 = { }; member2 = { }; }";
  if (x.kind === "Lambda") return `group.nix is not a function: ${shape}`;
  if (x.kind === "List") return `a list of names is not a group: ${shape}`;
  if (x.kind === "String") return `a string is not a group: ${shape}`;
  return shape;
}
