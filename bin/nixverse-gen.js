#!/usr/bin/env node
import module from "node:module";

// V8's code cache for our modules (Node >= 22.1; on Node 20 there is none and this does nothing):
// a pre-commit hook's `gen --check` then skips compiling the bundle on every run after the first.
module.enableCompileCache?.();
const { main } = await import("../dist/bundle/main.js");

process.exitCode = await main(process.argv.slice(2));
