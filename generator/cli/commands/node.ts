import { DiagnosticError } from "../../errors.js";
import { locateRunner, runRunner, runnerEnv } from "../../run/runner.js";
import type { CliContext, Command } from "../command.js";
import { UsageError } from "../command.js";
import { FLAKE_OPTION_HELP, openFlakeDir } from "../flake-dir.js";

/** The runner's options for every subcommand (runtime-sh/runner/ui.sh help_common_options). */
const common = `  -p, --parallel N   at most N nodes at a time (1 to 1024; default deploy.parallel, else 10)
      --failed       also select the nodes that did not succeed in the last run
      --eval-jobs N  evaluators at once: nix-eval-jobs --workers N when it is on PATH,
                     else N nix evals of a share of the nodes each (default 1)
      --json         print the summary as JSON on stdout (everything else goes to stderr)
      --show-plan    print every command of the plan and stop
      --flake DIR    ${FLAKE_OPTION_HELP}
  -h, --help         show this help`;

const help = `Usage: nixverse-gen node <deploy|build|install> [options] <node-or-group>...

Runs the fleet's generated runner (nixverse/run.sh): exactly what \`nix run . -- node …\` does.
Names are nodes or groups (a group means every node under it), @all, @<tag> (meta's tags),
globs over node and group names ('web*') and '!name' to leave nodes out (only exclusions:
from all nodes). The plan comes from one evaluation of the flake; nodes run in parallel, every
output line is prefixed with its node, each run keeps its logs in build/runs/<time>/<node>.log (build/logs is the
newest) with summary.json, and a summary table (node, action, result, stage, status, seconds)
ends the run. Exit status 1 if any node failed; a failing node never stops the others; Ctrl-C
stops every running node and prints the summary so far. When the fleet has a Makefile (or
private/Makefile), \`make nodes/<node>...\` runs first.

Subcommands:
  deploy    build every node once, then copy and activate them in parallel (--goal switch,
            boot, test, dry-activate or build); the host key and fs/ files (secrets/fs
            decrypted with the node key) reach the host before activation
  build     one \`nix build --no-link --keep-going\` of the selected nodes' system closures
  install   nixos-anywhere with disko, --generate-hardware-config into the node's directory,
            --extra-files with the host key and fs/ files (erases the target's disks); a
            first install regenerates the flake between hardware detection and install

Options:
      --goal G       deploy: switch (default), boot, test, dry-activate or build
  -n, --dry-run      deploy: --goal build, only build
      --ephemeral    deploy: --goal test, activate without a boot entry (NixOS only)
      --boot, --dry-activate   deploy: the same as --goal boot / dry-activate (NixOS only)
      --reboot       deploy: boot default, reboot, wait until SSH answers (NixOS only)
      --skip-unreachable  deploy: skip a node whose target does not answer the probe
${common}

Examples:
  nixverse-gen node deploy web            # every node of the group web
  nixverse-gen node deploy --dry-run db
  nixverse-gen node build -p 4 servers
  nixverse-gen node install db1
`;

/** One page per subcommand: only the options and behaviour that apply to it. */
const subHelp: Record<string, string> = {
  deploy: `Usage: nixverse-gen node deploy [options] [--goal G | --dry-run | ...] <node-or-group>...

Switch each node to its configuration, on deploy.targetHost over ssh (deploy.sshOpts), or on
this machine for a node without one (only one such node per run). With deploy.method = "copy"
(the default) every target is probed over ssh at once, all nodes are evaluated in one evaluator
and built in one \`nix build\`, then per node the closure is copied and activated; with
deploy.method = "nixos-rebuild", one nixos-rebuild / darwin-rebuild per node. The host key and
fs/ files (secrets/fs decrypted with the node key) reach the host before activation.

Options:
      --goal G       switch (default), boot, test, dry-activate or build
  -n, --dry-run      --goal build: only build; copies nothing
      --ephemeral    --goal test: activate without adding a boot entry (NixOS only)
      --boot, --dry-activate   the same as --goal boot / dry-activate (NixOS only)
      --reboot       make it the boot default, reboot, wait until SSH answers (NixOS only)
      --skip-unreachable  a node whose target does not answer the probe is skipped (it
                     does not fail the run) instead of failing
${common}

Examples:
  nixverse-gen node deploy web            # every node of the group web
  nixverse-gen node deploy --dry-run db
  nix run . -- node deploy --reboot db    # the same runner, from the flake
`,
  build: `Usage: nixverse-gen node build [-p N] <node-or-group>...

Build the selected nodes' system closures with one \`nix build --no-link --keep-going\` here;
nothing is copied or activated.

Options:
${common}

Examples:
  nixverse-gen node build servers
  nix run . -- node build -p 4 web1 web2
`,
  install: `Usage: nixverse-gen node install [-p N] <node-or-group>...

Install NixOS with nixos-anywhere on install.targetHost (default deploy.targetHost), booted into
a NixOS installer: disko partitions the disks (erasing them) from the node's disk-config.nix,
--generate-hardware-config writes hardware-configuration.nix into the node's directory, and
--extra-files copies the host key and fs/ files. A first install regenerates the flake between
hardware detection and install.

Options:
${common}

Examples:
  nixverse-gen node install db1
  nix run . -- node install servers routers
`,
};

/** Takes `--flake DIR` / `--flake=DIR` out of the runner's arguments. */
export function splitFlakeOption(args: string[]): { flake: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let flake: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === "--") {
      rest.push(...args.slice(i));
      break;
    }
    if (a === "--flake") {
      const v = args[i + 1];
      if (v === undefined) throw new UsageError("--flake needs a directory");
      flake = v;
      i++;
    } else if (a.startsWith("--flake=")) {
      flake = a.slice("--flake=".length);
    } else {
      rest.push(a);
    }
  }
  return { flake, rest };
}

export const node: Command = {
  name: "node",
  summary: "deploy, build or install nodes (the same as `nix run . -- node …`)",
  help,
  helpFor: (args) => subHelp[args.find((a) => !a.startsWith("-")) ?? ""] ?? null,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { flake, rest } = splitFlakeOption(args);
    const flakeDir = await openFlakeDir(ctx, flake);
    const script = locateRunner(flakeDir);
    if (!script.ok) throw new DiagnosticError(script.errors);
    return runRunner(script.value, ["node", ...rest], runnerEnv(flakeDir, ctx.env), ctx.cwd);
  },
};
