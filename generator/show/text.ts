// `show` and `show --json`: the fleet as the generator sees it, from the model alone (nothing is
// evaluated, so this works without network or inputs).

import type { FleetModel } from "../model/types.js";

export function showJson(model: FleetModel): unknown {
  return {
    groups: Object.fromEntries(
      Object.values(model.groups).map((g) => [
        g.name,
        { dir: g.dir, parents: g.parents, children: g.children, nodes: g.nodes },
      ]),
    ),
    nodes: Object.fromEntries(
      Object.values(model.nodes).map((n) => [
        n.name,
        {
          dir: n.dir,
          os: n.os.value,
          channel: n.channel.value,
          system: n.system?.value ?? null,
          parents: n.parents,
          groups: [...new Set(n.groupNames)],
          meta: n.metaDefs.map((d) => (d.attr === null ? d.file : `${d.file}#${d.attr}`)),
          configuration: n.configuration,
          hardware: n.hardware,
          diskConfig: n.diskConfig,
          home: n.home,
          secrets: n.secretsFile,
        },
      ]),
    ),
  };
}

export function showText(model: FleetModel): string {
  const out: string[] = [];
  const nodes = Object.values(model.nodes);
  const width = Math.max(4, ...nodes.map((n) => n.name.length));
  const line = (name: string, depth: number) => {
    const n = model.nodes[name];
    const pad = "  ".repeat(depth);
    if (!n) return `${pad}${name}/`;
    const flags = [
      n.secretsFile ? "secrets" : "",
      Object.keys(n.home).length ? `home: ${Object.keys(n.home).join(",")}` : "",
    ]
      .filter(Boolean)
      .join("  ");
    return `${pad}${name.padEnd(width)}  ${n.os.value.padEnd(6)}  ${n.channel.value}${flags ? `  ${flags}` : ""}`;
  };
  const roots = Object.values(model.groups).filter((g) => g.parents.length === 0);
  const walk = (name: string, depth: number) => {
    out.push(line(name, depth));
    for (const c of model.groups[name]?.children ?? []) walk(c, depth + 1);
  };
  if (roots.length) {
    out.push("Groups:");
    for (const g of roots) walk(g.name, 1);
    out.push("");
  }
  out.push("Nodes:");
  for (const n of nodes) {
    out.push(line(n.name, 1));
    out.push(`      dir: ${n.dir}`);
    const files = [
      ...n.configuration,
      ...n.hardware,
      ...n.diskConfig,
      ...Object.values(n.home).flat(),
    ];
    for (const f of files) out.push(`      imports ${f}`);
    if (n.secretsFile) out.push(`      secrets ${n.secretsFile}`);
  }
  return `${out.join("\n")}\n`;
}
