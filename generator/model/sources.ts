// Every .nix file of the fleet, parsed before a generation is accepted: configuration.nix,
// home.nix, disk-config.nix, modules/, pkgs/, lib, outputs/ and whatever they import by path.
// Nix only reads them when a node is evaluated, so without this a syntax error (or the classic
// `lib.mkDefault` in a module without a `lib` argument) would pass `gen` and the pre-commit hook.

import fg from "fast-glob";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Diagnostic } from "../errors.js";
import { diag } from "../errors.js";
import { parseNix } from "../nix/parse.js";

/** What is not the user's source: generated files, scratch output, Nix result links. */
const NOT_SOURCES = [
  "flake.nix",
  "nixverse/**",
  "build/**",
  "result",
  "result-*",
  "**/node_modules/**",
  "**/.git/**",
];

/** Parse errors of every .nix file under root except `skip` (files the model parses itself). */
export async function checkSources(root: string, skip: RegExp): Promise<Diagnostic[]> {
  const files = await fg("**/*.nix", {
    cwd: root,
    dot: false,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: NOT_SOURCES,
  });
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
