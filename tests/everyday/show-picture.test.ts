// show --mermaid / --dot: the picture is checked where it is drawn (mermaid.js in Chromium, and
// Graphviz's dot), not by comparing our own text with itself.
import { existsSync } from "node:fs";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import type { FleetModel, GroupModel, NodeModel } from "../../generator/model/types.js";
import { showDot } from "../../generator/show/dot.js";
import { showMermaid } from "../../generator/show/mermaid.js";
import { drawMermaid, hasChromium } from "./render.js";

const loc = { file: "x", line: 1, column: 1 };

function node(
  name: string,
  os: "nixos" | "darwin",
  channel: string,
  parents: string[],
  secrets = false,
): NodeModel {
  return {
    name,
    dir: `nodes/${name}`,
    createdByGroup: false,
    parents,
    groupNames: parents,
    metaDefs: [],
    os: { value: os, priority: 100, loc },
    channel: { value: channel, priority: 100, loc },
    system: null,
    tags: [],
    configuration: [],
    hardware: [],
    diskConfig: [],
    home: {},
    secretsFile: secrets ? `nodes/${name}/secrets.yaml` : null,
  };
}

function group(name: string, children: string[], parents: string[] = []): GroupModel {
  return {
    name,
    dir: `nodes/${name}`,
    files: [],
    parents,
    groupNames: parents,
    children,
    descendants: children,
    nodes: [],
  };
}

// sshable ⊃ servers, routers; edge (a node in two groups); a lone node; names Mermaid and DOT must escape.
const nodes = [
  node("server1", "nixos", "unstable", ["servers"], true),
  node("server2", "nixos", "stable", ["servers"]),
  node("router1", "nixos", "unstable", ["routers"], true),
  node("edge", "nixos", "unstable", ["routers", "servers"]),
  node("mac", "darwin", "unstable", []),
  node('odd"name#1<b>', "nixos", "unstable", [], true),
];
const model: FleetModel = {
  root: "/x",
  hasPrivate: false,
  nodeType: "node",
  nodes: Object.fromEntries(nodes.map((n) => [n.name, n])),
  groups: {
    sshable: group("sshable", ["routers", "servers"]),
    servers: group("servers", ["edge", "server1", "server2"], ["sshable"]),
    routers: group("routers", ["edge", "router1"], ["sshable"]),
  },
  lib: [],
  pkgs: {},
  modules: { nixos: {}, darwin: {}, home: {}, flake: {} },
  outputs: { flake: {}, perSystem: {}, flakeParts: [] },
  masterSecrets: null,
  sopsConfig: null,
  makefiles: [],
};

describe("show --mermaid", () => {
  it.skipIf(!hasChromium)(
    "is drawn by mermaid.js: every group and node, os · channel, secrets marked",
    async () => {
      const drawn = await drawMermaid(showMermaid(model));
      expect(drawn.error).toBeNull();
      const texts = drawn.boxes.map((b) => b.text).sort();
      expect(texts).toEqual(
        [
          "edgenixos · unstable",
          "macdarwin · unstable",
          'odd"name#1<b>nixos · unstablesecrets',
          "router1nixos · unstablesecrets",
          "routers",
          "server1nixos · unstablesecrets",
          "server2nixos · stable",
          "servers",
          "sshable",
        ].sort(),
      );
      // sshable→servers, sshable→routers, servers→{edge,server1,server2}, routers→{edge,router1}
      expect(drawn.edges).toBe(7);
      const withSecrets = drawn.boxes
        .filter((b) => b.classes.split(/\s+/).includes("secrets"))
        .map((b) => b.text);
      expect(withSecrets.sort()).toEqual(
        drawn.boxes
          .filter((b) => b.text.includes("secrets"))
          .map((b) => b.text)
          .sort(),
      );
      expect(withSecrets).toHaveLength(3);
      const darwin = drawn.boxes
        .filter((b) => b.classes.split(/\s+/).includes("darwin"))
        .map((b) => b.text);
      expect(darwin).toEqual(["macdarwin · unstable"]);
    },
  );

  it.skipIf(!hasChromium)(
    "a broken diagram is reported by the same renderer (the check can fail)",
    async () => {
      const drawn = await drawMermaid('flowchart LR\n  a["x" --> ');
      expect(drawn.error).not.toBeNull();
    },
  );

  it("is byte-stable whatever the order of the model's maps", () => {
    const reversed: FleetModel = {
      ...model,
      nodes: Object.fromEntries(Object.entries(model.nodes).reverse()),
      groups: Object.fromEntries(Object.entries(model.groups).reverse()),
    };
    expect(showMermaid(reversed)).toBe(showMermaid(model));
    expect(showDot(reversed)).toBe(showDot(model));
  });

  if (!hasChromium)
    console.log(
      "SKIPPED: /usr/bin/chromium missing (apt-get install chromium) for drawing Mermaid",
    );
});

const hasDot = ["/usr/bin/dot", "/usr/local/bin/dot"].some((p) => existsSync(p));
if (!hasDot)
  console.log("SKIPPED: Graphviz dot missing (apt-get install graphviz) for reading --dot output");

describe("show --dot", () => {
  it.skipIf(!hasDot)("is read by Graphviz with the same nodes, labels and edges", async () => {
    const r = await execa("dot", ["-Tjson"], { input: showDot(model), reject: false });
    expect(r.exitCode).toBe(0);
    const g = JSON.parse(r.stdout) as {
      objects: { _gvid: number; name: string; label: string; color?: string }[];
      edges: { tail: number; head: number }[];
    };
    const label = (id: number) => g.objects.find((o) => o._gvid === id)!.label.split("\\n")[0];
    expect(g.objects.map((o) => o.label).sort()).toEqual(
      [
        "edge\\nnixos · unstable",
        "mac\\ndarwin · unstable",
        'odd"name#1<b>\\nnixos · unstable\\nsecrets',
        "router1\\nnixos · unstable\\nsecrets",
        "routers",
        "server1\\nnixos · unstable\\nsecrets",
        "server2\\nnixos · stable",
        "servers",
        "sshable",
      ].sort(),
    );
    expect(g.edges.map((e) => `${label(e.tail)}->${label(e.head)}`).sort()).toEqual(
      [
        "routers->edge",
        "routers->router1",
        "servers->edge",
        "servers->server1",
        "servers->server2",
        "sshable->routers",
        "sshable->servers",
      ].sort(),
    );
  });
});
