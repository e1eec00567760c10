import { existsSync } from "node:fs";
import path from "node:path";
import type { InitResult } from "../../init/run.js";
import { initFleet, validNodeName } from "../../init/run.js";
import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { UsageError } from "../command.js";
import { style } from "../style.js";
import { reportDiagnostics } from "../report.js";

const help = `Usage: nixverse-gen init [DIR] [--node NAME]

Start a fleet in DIR (default: the current directory), or adopt a Nixverse one.

  empty directory     writes a starter fleet: nodes/<NAME>/node.nix and configuration.nix,
                      .gitignore (with /build) and a README, then generates flake.nix and nixverse/
  Nixverse flake      (flake.nix calls nixverse.lib.load) moves its inputs, except nixverse, into
                      inputs.nix with their comments, keeps the old file as flake.nix.bak, and
                      generates; every node, group, home file and secret keeps working
  nodes/, no flake     generates, as \`nixverse-gen gen\` would
  already generated   changes nothing

Existing files are never overwritten; if generation fails, nothing is left behind.

Options:
  --node NAME    name of the starter node (default: my-node)
  -q, --quiet    print only errors and warnings
  -h, --help     show this help

Examples:
  nixverse-gen init my-fleet && cd my-fleet && sudo nixos-rebuild switch --flake .#my-node
  nixverse-gen init --node laptop
  cd ~/my-nixverse-configs && nixverse-gen init   # adopt, then review \`git diff\`
`;

function report(r: InitResult, cwd: string): string[] {
  const lines: string[] = [];
  const relative = path.relative(cwd, r.root);
  const rel = relative === "" ? "." : relative.startsWith("..") ? r.root : relative;
  const g = r.generation;
  if (r.mode === "new") lines.push(`created a starter fleet in ${rel}: ${r.created.join(", ")}`);
  if (r.mode === "existing-tree") lines.push(`found nodes/ in ${rel}; generating its flake`);
  if (r.mode === "adopt" && r.adoption) {
    const a = r.adoption;
    lines.push(
      a.moved.length
        ? `moved ${a.moved.length} input${a.moved.length === 1 ? "" : "s"} from flake.nix to inputs.nix (comments kept): ${a.moved.join(", ")}`
        : "flake.nix had no inputs to keep; wrote an empty inputs.nix",
    );
    if (a.dropped.length)
      lines.push(`dropped input ${a.dropped.join(", ")}: the generated flake does not need it`);
    if (a.kept.length)
      lines.push(
        `kept input ${a.kept.join(", ")} in inputs.nix: the fleet's own files use inputs.${a.kept[0]}`,
      );
    if (r.created.includes("nixverse.yaml")) {
      const moved = [
        ...(a.description !== null ? ["the flake's description"] : []),
        ...(a.systems !== null
          ? [`the systems of nixverse.lib.load (${a.systems.join(", ")})`]
          : []),
      ];
      if (moved.length) lines.push(`moved ${moved.join(" and ")} to nixverse.yaml`);
    }
  }
  if (g) {
    for (const i of g.inputs.added) lines.push(`added input ${i.name} (${i.url}) for ${i.reason}`);
    const nodes = Object.keys(g.fleet.model.nodes).sort();
    const groups = Object.keys(g.fleet.model.groups).sort();
    const secrets = Object.values(g.fleet.model.nodes).filter((n) => n.secretsFile).length;
    lines.push(
      `${nodes.length} node${nodes.length === 1 ? "" : "s"}${nodes.length ? ` (${nodes.join(", ")})` : ""}` +
        (groups.length
          ? `, ${groups.length} group${groups.length === 1 ? "" : "s"} (${groups.join(", ")})`
          : "") +
        (secrets ? `, ${secrets} with secrets` : ""),
    );
  }
  const o = r.outcome;
  if (o?.backup) lines.push(`kept the old flake.nix as ${o.backup}`);
  if (o) {
    const n = o.written.filter((w) => w.startsWith("nixverse/")).length;
    lines.push(`wrote flake.nix and ${n} file${n === 1 ? "" : "s"} under nixverse/`);
  }
  if (r.mode === "adopt") {
    if (existsSync(path.join(r.root, "flake.lock"))) {
      lines.push(
        "flake.lock keeps the pins of your inputs; Nix drops nixverse from it and locks new inputs on the next evaluation",
      );
    }
    lines.push("review with `git diff`, then: nixos-rebuild switch --flake .#<node>");
  } else if (g) {
    const first = Object.keys(g.fleet.model.nodes).sort()[0];
    const cd = rel === "." ? "" : `cd ${rel} && `;
    if (first) lines.push(`next: ${cd}sudo nixos-rebuild switch --flake .#${first}`);
  }
  return lines;
}

export const init: Command = {
  name: "init",
  summary: "start a new fleet, or adopt a Nixverse flake (inputs move to inputs.nix)",
  help,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values, positionals } = parseOptions(
      args,
      { node: { type: "string" }, quiet: { type: "boolean", short: "q" } },
      true,
    );
    if (positionals.length > 1)
      throw new UsageError(`expected at most one directory, got ${positionals.length}`);
    if (values.node !== undefined && !validNodeName(values.node)) {
      throw new UsageError(
        `"${values.node}" cannot be a node name: only ASCII letters, digits and -, not starting with -, and not current or common`,
      );
    }
    const dir = path.resolve(ctx.cwd, positionals[0] ?? ".");
    const result = await initFleet(dir, values.node === undefined ? {} : { node: values.node });
    const st = style(ctx.color);
    if (!result.ok) {
      reportDiagnostics(ctx, result.errors, dir);
      ctx.stderr.write("nixverse-gen: init changed nothing\n");
      return 1;
    }
    const r = result.value;
    reportDiagnostics(ctx, r.warnings, dir);
    if (r.mode === "already") {
      ctx.stdout.write(
        `nixverse-gen: ${dir} is already managed by nixverse-gen; run \`nixverse-gen gen\` after changes\n`,
      );
      return 0;
    }
    if (!values.quiet) {
      for (const l of report(r, ctx.cwd)) {
        const text = l.startsWith("next: ") || l.startsWith("review ") ? st.bold(l) : l;
        ctx.stdout.write(`${st.dim("nixverse-gen:")} ${text}\n`);
      }
    }
    return 0;
  },
};
