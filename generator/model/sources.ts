// Every .nix file of the fleet, parsed before a generation is accepted: configuration.nix,
// home.nix, disk-config.nix, modules/, pkgs/, lib, outputs/ and whatever they import by path.
// Nix only reads them when a node is evaluated, so without this a syntax error (or the classic
// `lib.mkDefault` in a module without a `lib` argument) would pass `gen` and the pre-commit hook.

import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "../errors.js";
import { diag } from "../errors.js";
import { parseNix } from "../nix/parse.js";

/** Not the user's source: generated files, scratch output, Nix result links, tool directories. */
const SKIP_DIRS = new Set(["nixverse", "build", "node_modules", ".git"]);
const SKIP_TOP = (name: string) => name === "flake.nix" || /^result(-.*)?$/.test(name);

/** Every .nix file under root, "/"-separated; a plain walk (no glob engine: gen --check is hot). */
export async function nixFiles(root: string, rel = ""): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(root, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const nested = await Promise.all(
    entries.map(async (e) => {
      if (e.name.startsWith(".") || (rel === "" && SKIP_TOP(e.name))) return [];
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) return rel === "" && SKIP_DIRS.has(e.name) ? [] : nixFiles(root, r);
      return e.isFile() && e.name.endsWith(".nix") ? [r] : [];
    }),
  );
  return nested.flat();
}

/** Parse errors of every .nix file under root except `skip` (files the model parses itself). */
export async function checkSources(root: string, skip: RegExp): Promise<Diagnostic[]> {
  const files = await nixFiles(root);
  const results = await Promise.all(
    files
      .filter((f) => !skip.test(f))
      .sort()
      .map(async (file): Promise<Diagnostic[]> => {
        let text: string;
        try {
          text = await readFile(path.join(root, file), "utf8");
        } catch (e) {
          return [diag("read-failed", `cannot read ${file}: ${(e as Error).message}`, { file })];
        }
        const parsed = parseNix(text, file);
        return parsed.ok ? [] : parsed.errors;
      }),
  );
  return results.flat();
}
