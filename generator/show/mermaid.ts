// `show --mermaid`: a Mermaid flowchart (GitHub renders ```mermaid blocks) of groups → nodes.

import type { FleetModel } from "../model/types.js";
import { fleetPicture } from "./graph.js";

/** Mermaid entity codes: node names may hold any character but space, dot and underscore. */
function label(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

export function showMermaid(model: FleetModel): string {
  const p = fleetPicture(model);
  const out = [
    "%% nixverse-gen show --mermaid: groups → nodes (os · channel); a red border marks a node with secrets",
    "flowchart LR",
  ];
  for (const g of p.groups) out.push(`  ${g.id}(["${label(g.name)}"])`);
  for (const n of p.nodes) {
    const lines = [label(n.name), `${label(n.os)} · ${label(n.channel)}`];
    if (n.secrets) lines.push("secrets");
    out.push(`  ${n.id}["${lines.join("<br/>")}"]`);
  }
  for (const e of p.edges) out.push(`  ${e.from} --> ${e.to}`);
  const cls = (name: string, ids: string[]) => {
    if (ids.length) out.push(`  class ${ids.join(",")} ${name}`);
  };
  cls(
    "group",
    p.groups.map((g) => g.id),
  );
  cls(
    "nixos",
    p.nodes.filter((n) => n.os === "nixos").map((n) => n.id),
  );
  cls(
    "darwin",
    p.nodes.filter((n) => n.os === "darwin").map((n) => n.id),
  );
  cls(
    "secrets",
    p.nodes.filter((n) => n.secrets).map((n) => n.id),
  );
  out.push(
    "  classDef group fill:#e8eefc,stroke:#4a6fd0,color:#1b2a4a",
    "  classDef nixos fill:#eef7ee,stroke:#4c9a4c,color:#1d3b1d",
    "  classDef darwin fill:#f4eefa,stroke:#8a5cc2,color:#2e1d45",
    "  classDef secrets stroke:#c0392b,stroke-width:3px",
  );
  return `${out.join("\n")}\n`;
}
