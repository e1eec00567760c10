// The fleet picture as plain data (groups → children, nodes with os/channel/secrets), shared by
// the Mermaid and Graphviz renderers so both always draw the same thing.

import type { FleetModel } from "../model/types.js";

export interface PictureGroup {
  id: string;
  name: string;
}

export interface PictureNode {
  id: string;
  name: string;
  os: string;
  channel: string;
  secrets: boolean;
}

export interface FleetPicture {
  groups: PictureGroup[];
  nodes: PictureNode[];
  /** group id → child id (group or node); a node in two groups gets two edges. */
  edges: { from: string; to: string }[];
}

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Ids are positional (g0, n0, …) over names sorted by code unit, so output is byte-stable. */
export function fleetPicture(model: FleetModel): FleetPicture {
  const groups = Object.values(model.groups)
    .sort(byName)
    .map((g, i) => ({ id: `g${i}`, name: g.name }));
  const nodes = Object.values(model.nodes)
    .sort(byName)
    .map((n, i) => ({
      id: `n${i}`,
      name: n.name,
      os: n.os.value,
      channel: n.channel.value,
      secrets: n.secretsFile !== null,
    }));
  const ids = new Map<string, string>([
    ...groups.map((g) => [g.name, g.id] as [string, string]),
    ...nodes.map((n) => [n.name, n.id] as [string, string]),
  ]);
  const edges = groups.flatMap((g) =>
    [...(model.groups[g.name]?.children ?? [])].sort().flatMap((c) => {
      const to = ids.get(c);
      return to === undefined ? [] : [{ from: g.id, to }];
    }),
  );
  return { groups, nodes, edges };
}
