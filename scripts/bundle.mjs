// The shipped CLI: generator/ bundled by esbuild into dist/bundle/, one ES module for the entry
// and one per lazily imported command (code splitting), every dependency inlined. Node then loads
// a handful of files instead of hundreds, which is what makes `gen --check` in a pre-commit hook
// cost little more than starting node; and the package needs no dependency installed.
//
// Every file lands directly in dist/bundle/, two levels below the package root like the sources
// in generator/<dir>/, so the package root found from `import.meta.url` (runtime-nix/, runtime-sh/) is the same.
import { build } from "esbuild";
import { rmSync } from "node:fs";

const outdir = new URL("../dist/bundle/", import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: "generator/cli/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "[name]-[hash]",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
  // CommonJS dependencies (fast-glob, handlebars) call require() for node's own modules.
  banner: {
    js: 'import { createRequire as __nvgRequire } from "node:module"; const require = __nvgRequire(import.meta.url);',
  },
});
