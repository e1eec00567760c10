import path from "node:path";
import { formatDiagnostic } from "../../errors.js";
import { installHook, uninstallHook } from "../../hook/install.js";
import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { UsageError } from "../command.js";
import { paintDiagnostic, style } from "../style.js";
import { findFlakeDir } from "../flake-dir.js";

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
  --flake DIR    the flake directory (default: $FLAKE, else the nearest parent with nodes/)
  -h, --help     show this help

Examples:
  npx nixverse-gen hook install
  git commit --no-verify     # skip the hook once
`;

const uninstallHelp = `Usage: nixverse-gen hook uninstall [--flake DIR]

Remove the pre-commit hook that \`hook install\` wrote, and put back the hook it chained.

Options:
  --flake DIR    the flake directory (default: $FLAKE, else the nearest parent with nodes/)
  -h, --help     show this help

Examples:
  npx nixverse-gen hook uninstall
`;

const help = `Usage: nixverse-gen hook <install|uninstall> [--flake DIR]

Manage the git pre-commit hook that regenerates and stages flake.nix and nixverse/.

Subcommands:
  install      install the hook (chains an existing one; idempotent)
  uninstall    remove it and restore the chained hook

Run \`nixverse-gen hook install --help\` for details.

Examples:
  npx nixverse-gen hook install
  npx nixverse-gen hook uninstall
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
      throw new UsageError(`unknown subcommand "${sub}"`);
    const { values } = parseOptions(rest, { flake: { type: "string" } });
    const root = findFlakeDir(ctx.cwd, values.flake, ctx.env);
    const result = sub === "install" ? await installHook(root) : await uninstallHook(root);
    const st = style(ctx.color);
    if (!result.ok) {
      for (const d of result.errors)
        ctx.stderr.write(`${paintDiagnostic(formatDiagnostic(d), st)}\n`);
      return 1;
    }
    const r = result.value;
    const hookRel = path.relative(ctx.cwd, r.hook) || r.hook;
    const say = (s: string) => ctx.stdout.write(`${st.dim("nixverse-gen:")} ${s}\n`);
    switch (r.action) {
      case "installed":
        say(`installed the pre-commit hook ${hookRel}`);
        if (r.chained)
          say(`the previous hook now runs first, from ${path.relative(ctx.cwd, r.chained)}`);
        break;
      case "updated":
        say(`updated the pre-commit hook ${hookRel}`);
        break;
      case "unchanged":
        say(`the pre-commit hook ${hookRel} is already installed`);
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
