import path from "node:path";
import { installHook, uninstallHook } from "../../hook/install.js";
import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { UsageError } from "../command.js";
import { style } from "../style.js";
import { reportDiagnostics } from "../report.js";
import { didYouMean } from "../../suggest.js";
import { FLAKE_OPTION_HELP, openFlakeDir } from "../flake-dir.js";

const installHelp = `Usage: nixverse-gen hook install [--flake DIR]

Install a git pre-commit hook that runs \`nixverse-gen gen\` and stages flake.nix and nixverse/,
so every commit carries an up-to-date flake. When generation fails (say a broken node.nix), the
commit is blocked and the error is printed with its file:line:col.

An existing pre-commit hook is never overwritten: it is moved to pre-commit.nixverse-chained and
run first (a failure there still blocks the commit). Running install again changes nothing.
The hook honours core.hooksPath; $NIXVERSE_GEN overrides the command it runs.

With the pre-commit framework instead, add to .pre-commit-config.yaml:
  - repo: <this package's git URL>
    rev: <tag>
    hooks: [{ id: nixverse-gen }]

Options:
  --flake DIR    ${FLAKE_OPTION_HELP}
  -h, --help     show this help

Examples:
  nixverse-gen hook install
  git commit --no-verify     # skip the hook once
`;

const uninstallHelp = `Usage: nixverse-gen hook uninstall [--flake DIR]

Remove the pre-commit hook that \`hook install\` wrote, and put back the hook it chained.

Options:
  --flake DIR    ${FLAKE_OPTION_HELP}
  -h, --help     show this help

Examples:
  nixverse-gen hook uninstall
`;

const help = `Usage: nixverse-gen hook <install|uninstall> [--flake DIR]

Manage the git pre-commit hook that regenerates and stages flake.nix and nixverse/.

Subcommands:
  install      install the hook (chains an existing one; idempotent)
  uninstall    remove it and restore the chained hook

Run \`nixverse-gen hook install --help\` for details.

Examples:
  nixverse-gen hook install
  nixverse-gen hook uninstall
`;

export const hook: Command = {
  name: "hook",
  summary: "install a git pre-commit hook that regenerates and stages the flake",
  help,
  helpFor: (args) =>
    args[0] === "install" ? installHelp : args[0] === "uninstall" ? uninstallHelp : null,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === undefined) throw new UsageError("missing subcommand: install or uninstall");
    if (sub !== "install" && sub !== "uninstall")
      throw new UsageError(
        `unknown subcommand "${sub}"${didYouMean(sub, ["install", "uninstall"])}`,
      );
    const { values } = parseOptions(rest, { flake: { type: "string" } });
    // Uninstalling needs no fleet (the hook lives in the repository), installing does: a hook
    // pointed at a directory without nodes/ would commit a junk flake there.
    const result =
      sub === "install"
        ? await installHook(await openFlakeDir(ctx, values.flake))
        : await uninstallHook(path.resolve(ctx.cwd, values.flake ?? ctx.env.FLAKE ?? "."));
    const st = style(ctx.color);
    if (!result.ok) {
      reportDiagnostics(ctx, result.errors);
      return 1;
    }
    const r = result.value;
    const hookRel = path.relative(ctx.cwd, r.hook) || r.hook;
    const say = (s: string) => ctx.stdout.write(`${st.dim("nixverse-gen:")} ${s}\n`);
    const shown = (rel: string) => (rel === "" ? "the repository's top directory" : `${rel}/`);
    const target = () =>
      r.previousFlakeDir !== null
        ? say(`it now regenerates ${shown(r.flakeDir)} (before: ${shown(r.previousFlakeDir)})`)
        : say(`it regenerates the fleet in ${shown(r.flakeDir)}`);
    switch (r.action) {
      case "installed":
        say(`installed the pre-commit hook ${hookRel}`);
        target();
        if (r.chained)
          say(`the previous hook now runs first, from ${path.relative(ctx.cwd, r.chained)}`);
        break;
      case "updated":
        say(`updated the pre-commit hook ${hookRel}`);
        target();
        break;
      case "unchanged":
        say(`the pre-commit hook ${hookRel} is already installed`);
        target();
        break;
      case "removed":
        say(
          `removed the pre-commit hook ${hookRel}${r.chained ? " and restored the one it chained" : ""}`,
        );
        break;
      case "absent":
        say(`no nixverse-gen pre-commit hook at ${hookRel}; nothing to do`);
        break;
    }
    return 0;
  },
};
