// `show --dot`: the same picture as `--mermaid`, for Graphviz (`… | dot -Tsvg > fleet.svg`).

import type { FleetModel } from "../model/types.js";
import { fleetPicture } from "./graph.js";

function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function showDot(model: FleetModel): string {
  const p = fleetPicture(model);
  const out = [
    "// nixverse-gen show --dot: groups → nodes (os · channel); a red border marks a node with secrets",
    "digraph fleet {",
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=11];',
  ];
  for (const g of p.groups) {
    out.push(
      `  ${g.id} [label=${quote(g.name)}, shape=folder, style=filled, fillcolor="#e8eefc", color="#4a6fd0"];`,
    );
  }
  for (const n of p.nodes) {
    const text = [n.name, `${n.os} · ${n.channel}`, ...(n.secrets ? ["secrets"] : [])].join("\n");
    const fill = n.os === "darwin" ? "#f4eefa" : "#eef7ee";
    const border = n.secrets ? ', color="#c0392b", penwidth=3' : ', color="#4c9a4c"';
    out.push(
      `  ${n.id} [label=${quote(text).replace(/\n/g, "\\n")}, shape=box, style="rounded,filled", fillcolor="${fill}"${border}];`,
    );
  }
  for (const e of p.edges) out.push(`  ${e.from} -> ${e.to};`);
  out.push("}");
  return `${out.join("\n")}\n`;
}
