import { loadFleet } from "../../model/load.js";
import { showDot } from "../../show/dot.js";
import { showMermaid } from "../../show/mermaid.js";
import { showJson, showText } from "../../show/text.js";
import { parseOptions } from "../args.js";
import type { CliContext, Command } from "../command.js";
import { reportDiagnostics } from "../report.js";
import { UsageError } from "../command.js";
import { FLAKE_OPTION_HELP, openFlakeDir } from "../flake-dir.js";

export { showJson, showText };

const help = `Usage: nixverse-gen show [--json | --mermaid | --dot] [--flake DIR]

Print the fleet as the generator sees it: groups with their members, and every node with its
os, channel, directory, the files it imports (in order) and whether it has secrets. Nothing is
evaluated, so this works without network or inputs.

Options:
  --json         machine-readable output
  --mermaid      a Mermaid flowchart of groups → nodes (os · channel, secrets marked in red);
                 paste it into a \`\`\`mermaid block and GitHub draws it
  --dot          the same picture for Graphviz
  --flake DIR    ${FLAKE_OPTION_HELP}
  -h, --help     show this help

Examples:
  nixverse-gen show
  nixverse-gen show --json | jq '.nodes | keys'
  nixverse-gen show --mermaid > fleet.mmd
  nixverse-gen show --dot | dot -Tsvg > fleet.svg
`;

export const show: Command = {
  name: "show",
  summary: "print groups and nodes with os, channel, files and secrets (or a picture)",
  help,
  async run(args: string[], ctx: CliContext): Promise<number> {
    const { values } = parseOptions(args, {
      json: { type: "boolean" },
      mermaid: { type: "boolean" },
      dot: { type: "boolean" },
      flake: { type: "string" },
    });
    const formats = (["json", "mermaid", "dot"] as const).filter((f) => values[f]);
    if (formats.length > 1) throw new UsageError(`choose one of --${formats.join(", --")}`);
    const root = await openFlakeDir(ctx, values.flake);
    const loaded = await loadFleet(root);
    if (!loaded.ok) {
      reportDiagnostics(ctx, loaded.errors, root);
      return 1;
    }
    const model = loaded.value.model;
    const render = {
      json: () => `${JSON.stringify(showJson(model), null, 2)}\n`,
      mermaid: () => showMermaid(model),
      dot: () => showDot(model),
    };
    ctx.stdout.write(formats[0] ? render[formats[0]]() : showText(model));
    return 0;
  },
};
