// `nixverse-gen init`: the I/O around the pure planners in starter.ts and adopt.ts. Decides what
// the directory is (empty, a Nixverse flake, a tree without a flake, already ours), writes the
// user-owned files, then runs the ordinary generation.

import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { stringify } from "yaml";
import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import { parseNix } from "../nix/parse.js";
import { ENTITY_NAME } from "../model/names.js";
import type { Generation } from "../pipeline.js";
import { planGeneration } from "../pipeline.js";
import { OWNED_DIR } from "../render/generated.js";
import type { WriteOutcome } from "../write/commit.js";
import { commitGeneration, isGenerated } from "../write/commit.js";
import type { Adoption } from "./adopt.js";
import { isNixverseFlake, mentionedDroppedInputs, planAdoption } from "./adopt.js";
import { nixFiles } from "../model/sources.js";
import { DEFAULT_NODE, ensureGitignore, starterFiles } from "./starter.js";
import { intentToAdd, readOptional } from "../io/files.js";

export type InitMode = "new" | "adopt" | "existing-tree" | "already";

export interface InitResult {
  mode: InitMode;
  root: string;
  /** User-owned files init wrote (relative), e.g. inputs.nix, nodes/my-node/node.nix. */
  created: string[];
  adoption: Adoption | null;
  generation: Generation | null;
  outcome: WriteOutcome | null;
  warnings: Diagnostic[];
}

/** The generator's node-name rule (model/names.ts), and not `current` or `common`. */
export function validNodeName(name: string): boolean {
  return ENTITY_NAME.test(name) && name !== "current" && name !== "common";
}

export async function initFleet(
  dir: string,
  opts: { node?: string } = {},
): Promise<Result<InitResult>> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  const flake = await readOptional(path.join(root, "flake.nix"));
  const result: InitResult = {
    mode: "new",
    root,
    created: [],
    adoption: null,
    generation: null,
    outcome: null,
    warnings: [],
  };
  const node = opts.node ?? DEFAULT_NODE;
  if (!validNodeName(node)) {
    return fail(
      diag(
        "init-node-name",
        `"${node}" cannot be a node name`,
        undefined,
        "use letters, digits and dashes",
      ),
    );
  }

  if (flake !== null && isGenerated(flake)) {
    result.mode = "already";
    return ok(result);
  }
  if (flake !== null && !isNixverseFlake(flake)) {
    return fail(
      diag(
        "init-foreign-flake",
        "flake.nix exists and does not call nixverse.lib.load, so it cannot be adopted",
        { file: "flake.nix", line: 1, column: 1 },
        "move its inputs to inputs.nix and run `nixverse-gen gen --force` (the old file is kept as flake.nix.bak)",
      ),
    );
  }
  if (flake !== null && existsSync(path.join(root, OWNED_DIR))) {
    return fail(
      diag(
        "init-owned-dir",
        `${OWNED_DIR}/ exists, and nixverse-gen writes its runtime there`,
        { file: OWNED_DIR },
        `rename ${OWNED_DIR}/ and run init again`,
      ),
    );
  }

  // Files init writes that the user owns from then on; written before generating (the generator
  // reads them) and removed again if generation fails, so a failed init leaves the tree as it was.
  const toWrite = new Map<string, string>();
  if (flake !== null) {
    result.mode = "adopt";
    for (const f of ["inputs.nix", "flake.nix.bak"]) {
      if (existsSync(path.join(root, f))) {
        return fail(
          diag(
            "init-exists",
            `${f} already exists; adopting would overwrite it`,
            { file: f },
            `move ${f} away and run init again`,
          ),
        );
      }
    }
    const parsed = parseNix(flake, "flake.nix");
    if (!parsed.ok) return parsed;
    const sources = await Promise.all(
      (await nixFiles(root)).map((f) => readOptional(path.join(root, f))),
    );
    const keep = mentionedDroppedInputs(sources.filter((t): t is string => t !== null));
    const adoption = planAdoption(parsed.value, { keep });
    if (!adoption.ok) return adoption;
    result.adoption = adoption.value;
    result.warnings.push(...adoption.value.warnings);
    toWrite.set("inputs.nix", adoption.value.inputsNix);
    const { description, submodules, systems } = adoption.value;
    if (
      (description !== null || submodules || systems !== null) &&
      !existsSync(path.join(root, "nixverse.yaml"))
    ) {
      const settings = {
        ...(description !== null ? { description } : {}),
        ...(submodules ? { submodules } : {}),
        ...(systems !== null ? { systems } : {}),
      };
      toWrite.set(
        "nixverse.yaml",
        `# Settings of nixverse-gen (every key is optional; see its README).\n${stringify(settings)}`,
      );
    }
  } else if (existsSync(path.join(root, "nodes"))) {
    result.mode = "existing-tree";
  } else {
    for (const [rel, content] of starterFiles(node)) {
      if (rel === ".gitignore") continue;
      if (rel === "README.md" && existsSync(path.join(root, rel))) continue;
      toWrite.set(rel, content);
    }
  }
  const gitignore = ensureGitignore(await readOptional(path.join(root, ".gitignore")));
  if (gitignore !== null) toWrite.set(".gitignore", gitignore);

  const before = new Map<string, string | null>();
  for (const rel of toWrite.keys()) before.set(rel, await readOptional(path.join(root, rel)));
  for (const [rel, content] of toWrite) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), content);
  }
  const undo = async () => {
    for (const [rel, content] of before) {
      if (content === null) await rm(path.join(root, rel), { force: true });
      else await writeFile(path.join(root, rel), content);
    }
    if (result.mode === "new") await rm(path.join(root, "nodes"), { recursive: true, force: true });
  };

  const planned = await planGeneration(root);
  if (!planned.ok) {
    await undo();
    return planned;
  }
  const outcome = await commitGeneration(root, planned.value.files, {
    check: false,
    force: flake !== null,
  });
  if (!outcome.ok) {
    await undo();
    return outcome;
  }
  result.generation = planned.value;
  result.outcome = outcome.value;
  result.warnings.push(...planned.value.warnings);
  result.created = [...toWrite.keys()].filter((rel) => before.get(rel) === null);
  await intentToAdd(root, result.created);
  return ok(result);
}
