import { planGeneration } from "../../pipeline.js";
import path from "node:path";
import { readOptional } from "../../io/files.js";
import { commitGeneration } from "../../write/commit.js";
import { flakeInputs } from "../../write/hand-edits.js";
import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { reportDiagnostics } from "../report.js";
import { FLAKE_OPTION_HELP, openFlakeDir } from "../flake-dir.js";

const help = `Usage: nixverse-gen gen [--check] [--force] [--flake DIR]

(Re)generate flake.nix and nixverse/ from the tree: nodes/, lib/, pkgs/, modules/, outputs/,
inputs.nix and nixverse.yaml. Writes all files or none; an unchanged tree changes no byte.
Every .nix file of the fleet is parsed first (as Nix would, undefined variables included), so a
broken configuration.nix stops gen and gen --check with its file:line:col and the line.

Options:
  --check        write nothing; exit 1 and print a unified diff when the generated files are stale
  --force        replace a flake.nix that nixverse-gen did not write, or one edited by hand since
                 (kept as flake.nix.bak); without it gen stops and names the inputs to move to
                 inputs.nix
  --flake DIR    ${FLAKE_OPTION_HELP}
  -q, --quiet    print only errors
  -h, --help     show this help

Examples:
  nixverse-gen                       # regenerate in the current flake
  nixverse-gen gen --check           # in CI or a pre-commit hook
  nixverse-gen gen --flake examples/quickstart
`;

export const gen: Command = {
  name: "gen",
  summary: "generate flake.nix and nixverse/ from the tree (default command)",
  help,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseOptions(args, {
      check: { type: "boolean" },
      force: { type: "boolean" },
      flake: { type: "string" },
      quiet: { type: "boolean", short: "q" },
    });
    const root = await openFlakeDir(ctx, values.flake);
    const planned = await planGeneration(root);
    if (!planned.ok) {
      reportDiagnostics(ctx, planned.errors, root);
      ctx.stderr.write("nixverse-gen: nothing was written\n");
      return 1;
    }
    const g = planned.value;
    reportDiagnostics(ctx, g.warnings, root);
    // Inputs the previous flake.nix already had are not news: "added input" lists only new ones.
    const before = flakeInputs((await readOptional(path.join(root, "flake.nix"))) ?? "{ }");
    const outcome = await commitGeneration(root, g.files, {
      check: Boolean(values.check),
      force: Boolean(values.force),
    });
    if (!outcome.ok) {
      reportDiagnostics(ctx, outcome.errors, root);
      ctx.stderr.write("nixverse-gen: nothing was written\n");
      return 1;
    }
    const o = outcome.value;
    if (values.check) {
      if (!o.diff) {
        if (!values.quiet)
          ctx.stdout.write(`nixverse-gen: ${root}: generated files are up to date\n`);
        return 0;
      }
      ctx.stdout.write(o.diff);
      ctx.stderr.write(
        "nixverse-gen: generated files are stale: run `nixverse-gen` and commit the result\n",
      );
      return 1;
    }
    if (!values.quiet) {
      if (o.written.includes("flake.nix")) {
        for (const a of g.inputs.added.filter((i) => !before?.has(i.name))) {
          ctx.stdout.write(`nixverse-gen: added input ${a.name} (${a.url}) for ${a.reason}\n`);
        }
      }
      if (o.backup) ctx.stdout.write(`nixverse-gen: kept the previous flake.nix as ${o.backup}\n`);
      if (!o.written.length && !o.removed.length) {
        ctx.stdout.write(`nixverse-gen: ${root}/flake.nix is up to date\n`);
      } else {
        if (o.written.length)
          ctx.stdout.write(`nixverse-gen: wrote ${fileList(o.written)} in ${root}\n`);
        for (const rel of o.removed)
          ctx.stdout.write(`nixverse-gen: removed ${rel} (no longer generated)\n`);
      }
    }
    return 0;
  },
};

/** `a, b and c`, or the first three and how many more: the files a run touched, by name. */
export function fileList(files: string[]): string {
  const shown = files.length > 4 ? files.slice(0, 3) : files;
  const rest = files.length - shown.length;
  const items = rest ? [...shown, `${rest} more`] : shown;
  return items.length === 1 ? items[0]! : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
