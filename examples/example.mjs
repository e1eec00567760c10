// `npm run example`: (re)generate examples/quickstart with the built CLI, then show what the
// generator wrote and the command to run next, so a first run says more than "up to date".
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { main } from "../dist/bundle/main.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const dir = path.join(here, "quickstart");
const shown = path.relative(process.cwd(), dir) || ".";

const code = await main(["gen", "--flake", dir]);
if (code !== 0) process.exit(code);

/** `├── name` lines for a directory, generated paths only at the top. */
function tree(rel, prefix, only) {
  const full = path.join(dir, rel);
  const entries = readdirSync(full)
    .filter((e) => !only || only.includes(e))
    .sort();
  return entries.flatMap((e, i) => {
    const last = i === entries.length - 1;
    const isDir = statSync(path.join(full, e)).isDirectory();
    const line = `${prefix}${last ? "└── " : "├── "}${e}${isDir ? "/" : ""}`;
    return isDir
      ? [line, ...tree(path.join(rel, e), `${prefix}${last ? "    " : "│   "}`)]
      : [line];
  });
}

console.log(`\nGenerated from ${shown}/nodes/:`);
console.log(`${shown}/`);
console.log(tree("", "", ["flake.nix", "nixverse"]).join("\n"));
console.log(
  `\nNext: nixverse-gen show --flake ${shown}   (or, with Nix: nix flake show ./${shown})`,
);
