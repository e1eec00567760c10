// Applies a generation to disk (or, with --check, only compares): the I/O end of `gen`.

import path from "node:path";
import type { Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { GeneratedFiles } from "../render/generated.js";

import { applyAtomically, UnsafeTargetError } from "./atomic.js";
import type { Changes } from "./existing.js";
import { changesBetween, isGenerated, readOwned } from "./existing.js";
import { intentToAdd } from "../io/files.js";
import { editedSinceStamp } from "../render/stamp.js";
import { editedInputs } from "./hand-edits.js";

export interface WriteOutcome {
  written: string[];
  removed: string[];
  /** flake.nix.bak, when --force replaced a hand-written flake.nix. */
  backup: string | null;
  /** With --check: unified diff of what differs, empty when up to date. */
  diff: string;
}

export { isGenerated };

export async function commitGeneration(
  root: string,
  files: GeneratedFiles,
  opts: { check: boolean; force: boolean },
): Promise<Result<WriteOutcome>> {
  const existing = await readOwned(root);
  const changes = changesBetween(existing, files);
  if (opts.check)
    return ok({
      written: [],
      removed: [],
      backup: null,
      diff: await unifiedDiff(existing, files, changes),
    });
  if (!changes.write.length && !changes.remove.length) {
    return ok({ written: [], removed: [], backup: null, diff: "" });
  }

  const write = new Map(changes.write.map((rel) => [rel, files.get(rel)!]));
  let backup: string | null = null;
  const oldFlake = existing.get("flake.nix");
  const handEdited =
    oldFlake !== undefined &&
    isGenerated(oldFlake.content) &&
    editedSinceStamp(oldFlake.content) === true &&
    changes.write.includes("flake.nix");
  // An edit whose inputs all reach the new flake (moved to inputs.nix, as advised) goes through,
  // like --force, with the edited file kept as flake.nix.bak: nothing is ever discarded.
  const lost = handEdited
    ? editedInputs(oldFlake.content, files.get("flake.nix")!.content)
    : { added: [], changed: [] };
  const named = [
    ...lost.added.map((n) => `input ${n} added`),
    ...lost.changed.map((n) => `input ${n} changed`),
  ];
  if (named.length && !opts.force) {
    return fail(
      diag(
        "flake-hand-edited",
        `flake.nix was edited by hand since nixverse-gen wrote it (${named.join(", ")}); regenerating would discard that`,
        { file: "flake.nix" },
        `move ${named.length === 1 ? "that input" : "those inputs"} to inputs.nix (nixverse-gen copies it into flake.nix) and run nixverse-gen again, or rerun with --force to overwrite flake.nix and keep your version as flake.nix.bak`,
      ),
    );
  }
  if (handEdited) {
    backup = "flake.nix.bak";
    write.set(backup, oldFlake);
  } else if (oldFlake && !isGenerated(oldFlake.content)) {
    if (!opts.force) {
      return fail(
        diag(
          "flake-handwritten",
          "flake.nix was not written by nixverse-gen; refusing to overwrite it",
          { file: "flake.nix", line: 1, column: 1 },
          "move your inputs to inputs.nix (`nixverse-gen init` does that for a Nixverse flake), or rerun with --force to keep the old file as flake.nix.bak",
        ),
      );
    }
    backup = "flake.nix.bak";
    write.set(backup, oldFlake);
  }
  try {
    await applyAtomically(root, { write, remove: changes.remove });
  } catch (e) {
    if (e instanceof UnsafeTargetError) {
      return fail(
        diag(
          "target-outside-root",
          e.message,
          { file: e.target },
          "a generated path must stay inside the flake: replace the symbolic link with a directory",
        ),
      );
    }
    const err = e as NodeJS.ErrnoException;
    const where = err.path ? { file: path.relative(root, err.path) || "." } : undefined;
    return fail(
      diag(
        "write-failed",
        `could not write the generated files (${err.message}); every file was restored`,
        where,
        "fix the path above (permissions, a file where a directory belongs) and run nixverse-gen again",
      ),
    );
  }
  const created = changes.write.filter((rel) => !existing.has(rel));
  await intentToAdd(root, created);
  return ok({ written: changes.write, removed: changes.remove, backup, diff: "" });
}

async function unifiedDiff(
  existing: Map<string, { content: string }>,
  files: GeneratedFiles,
  changes: Changes,
): Promise<string> {
  const stale = [...changes.write, ...changes.remove];
  if (!stale.length) return "";
  // Only a stale tree needs the diff library; an up-to-date --check never loads it.
  const { createTwoFilesPatch } = await import("diff");
  return stale
    .sort()
    .map((rel) =>
      createTwoFilesPatch(
        `a/${rel}`,
        `b/${rel}`,
        existing.get(rel)?.content ?? "",
        files.get(rel)?.content ?? "",
        undefined,
        undefined,
        { context: 3 },
      ).replace(/^=+\n/, ""),
    )
    .join("");
}
