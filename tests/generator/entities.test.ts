// Entity linking against the orders and errors NIXVERSE-REFERENCE §2.4, §2.5, §3 and §13
// (testRawEntities, testCrossRef, testEmptyGroup*, testSelfRef) record from the real Nixverse.
import { describe, expect, it } from "vitest";
import type { EntityFile, Layer } from "../../generator/model/entities.js";
import type { Expr } from "../../generator/nix/ast.js";
import { checkEntryNames, linkEntities } from "../../generator/model/entities.js";

const loc = (file: string) => ({ file, line: 1, column: 1 });
// Linking never looks at expressions; any will do.
const expr: Expr = {
  kind: "AttrSet",
  rec: false,
  bindings: [],
  span: { start: { offset: 0, line: 1, column: 1 }, end: { offset: 2, line: 1, column: 3 } },
};

function group(name: string, keys: string[], layer: Layer = "public"): EntityFile {
  const file = `${layer === "private" ? "private/" : ""}nodes/${name}/group.nix`;
  return {
    layer,
    name,
    kind: "group",
    file,
    loc: loc(file),
    bindings: keys.map((k, i) => ({ name: k, loc: { file, line: i + 2, column: 3 }, value: expr })),
  };
}
function node(name: string, layer: Layer = "public"): EntityFile {
  const file = `${layer === "private" ? "private/" : ""}nodes/${name}/node.nix`;
  return { layer, name, kind: "node", file, loc: loc(file), expr };
}
const defNames = (defs: { file: string; attr: string | null }[]) =>
  defs.map((d) => (d.attr === null ? d.file : `${d.file}#${d.attr}`));

describe("linkEntities", () => {
  // testRawEntities fixture.
  const raw = [
    group("parentGroup0", ["group0"]),
    group("group0", ["common", "groupNode0", "node0"]),
    group("group1", ["groupNode0"]),
    group("group1", ["node1priv"], "private"),
    node("node0"),
    node("node1priv", "private"),
  ];

  it("reproduces testRawEntities: dirs, parents, groupNames, definition order", () => {
    const r = linkEntities(raw);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const { nodes, groups } = r.value;
    const node0 = nodes.get("node0")!;
    expect(node0).toMatchObject({ createdByGroup: false, dir: "nodes/node0", parents: ["group0"] });
    expect(node0.groupNames).toEqual(["parentGroup0", "group0"]);
    expect(defNames(node0.defs)).toEqual([
      "nodes/parentGroup0/group.nix#group0",
      "nodes/group0/group.nix#common",
      "nodes/group0/group.nix#node0",
      "nodes/node0/node.nix",
    ]);
    const gn = nodes.get("groupNode0")!;
    expect(gn).toMatchObject({
      createdByGroup: true,
      dir: "nodes/group1/groupNode0",
      parents: ["group0", "group1"],
    });
    expect(gn.groupNames).toEqual(["parentGroup0", "group0", "group1"]);
    expect(defNames(gn.defs)).toEqual([
      "nodes/parentGroup0/group.nix#group0",
      "nodes/group0/group.nix#common",
      "nodes/group0/group.nix#groupNode0",
      "nodes/group1/group.nix#groupNode0",
    ]);
    const n1 = nodes.get("node1priv")!;
    expect(n1.dir).toBe("nodes/node1priv");
    expect(defNames(n1.defs)).toEqual([
      "private/nodes/group1/group.nix#node1priv",
      "private/nodes/node1priv/node.nix",
    ]);
    expect(groups.get("group0")).toMatchObject({
      children: ["groupNode0", "node0"],
      descendants: ["groupNode0", "node0"],
      nodes: ["groupNode0", "node0"],
      parents: ["parentGroup0"],
      groupNames: ["parentGroup0"],
    });
    expect(groups.get("group1")!.children).toEqual(["groupNode0", "node1priv"]);
    expect(groups.get("parentGroup0")).toMatchObject({
      descendants: ["group0", "groupNode0", "node0"],
      nodes: ["groupNode0", "node0"],
    });
  });

  it("orders a diamond's definitions like Nixverse, each definition once (first kept)", () => {
    const r = linkEntities([
      group("top", ["common", "a", "b"]),
      group("a", ["common", "n1"]),
      group("b", ["common", "n1"]),
      node("n1"),
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const n1 = r.value.nodes.get("n1")!;
    // Nixverse lists top's common twice (once per path: top#common, top#b, top#common, top#a, …).
    expect(defNames(n1.defs)).toEqual([
      "nodes/top/group.nix#common",
      "nodes/top/group.nix#b",
      "nodes/top/group.nix#a",
      "nodes/a/group.nix#common",
      "nodes/a/group.nix#n1",
      "nodes/b/group.nix#common",
      "nodes/b/group.nix#n1",
      "nodes/n1/node.nix",
    ]);
    expect(n1.groupNames).toEqual(["top", "a", "b"]);
  });

  it("16 levels of diamonds: one definition per group binding, not one per path", () => {
    // Level i has groups a<i> and b<i>, each listing both groups of level i+1; the last lists n.
    const levels = 16;
    const files = [];
    for (let i = 0; i < levels; i++) {
      const next = i + 1 < levels ? [`a${i + 1}`, `b${i + 1}`] : ["n"];
      files.push(group(`a${i}`, ["common", ...next]), group(`b${i}`, ["common", ...next]));
    }
    const r = linkEntities([...files, node("n")]);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const n = r.value.nodes.get("n")!;
    // Every group's common once (32), the binding naming each group of levels 1–15 in both of its
    // parents (30 · 2), n's two bindings and node.nix: Nixverse's walk would list 2^16 paths.
    expect(n.defs).toHaveLength(32 + 60 + 2 + 1);
    expect(new Set(defNames(n.defs)).size).toBe(n.defs.length);
    expect(n.groupNames).toHaveLength(32);
    expect(r.value.groups.get("a0")!.descendants).toHaveLength(31);
  });

  it("reports a containment cycle with its ⊇ chain at the closing key", () => {
    const r = linkEntities([group("crossRef0", ["crossRef1"]), group("crossRef1", ["crossRef0"])]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({
      code: "group-cycle",
      message: "cyclic group containment: crossRef0 ⊇ crossRef1 ⊇ crossRef0",
      file: "nodes/crossRef1/group.nix",
      line: 2,
      column: 3,
    });
  });

  it.each([
    ["{}", [group("group", [])], ["nodes/group/group.nix"]],
    ["{ common = {}; }", [group("group", ["common"])], ["nodes/group/group.nix"]],
    [
      "a group holding only an empty group",
      [group("group", ["group2"]), group("group2", [])],
      ["nodes/group/group.nix", "nodes/group2/group.nix"],
    ],
  ])("reports an empty group: %s", (_, files, expected) => {
    const r = linkEntities(files);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.message)).toEqual(expected.map((f) => `Group is empty: ${f}`));
  });

  it("rejects a group containing itself and a child named current, at the key", () => {
    const r = linkEntities([group("selfRef", ["selfRef", "current"])]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      expect.objectContaining({
        code: "group-contains-itself",
        message: "Group cannot contain itself: nodes/selfRef/group.nix",
        line: 2,
      }),
      expect.objectContaining({
        code: "node-name-reserved",
        message: 'Node name "current" is reserved: nodes/selfRef/group.nix',
        line: 3,
      }),
    ]);
  });

  it("rejects a name that is a node publicly and a group privately", () => {
    const r = linkEntities([node("x"), group("x", ["y"], "private")]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]!.message).toBe(
      "x cannot simultaneously be a node (nodes/x/node.nix) and a group (private/nodes/x/group.nix)",
    );
  });
});

describe("checkEntryNames", () => {
  it("applies the name rules to files too, exempting common", () => {
    const errors = checkEntryNames({
      public: [
        { name: "common", isDir: true },
        { name: "README.md", isDir: false },
        { name: "my_node", isDir: true },
        { name: "current", isDir: true },
        { name: "ok-name", isDir: true },
      ],
      private: [{ name: "with space", isDir: true }],
    });
    expect(errors.map((e) => e.message)).toEqual([
      '"README.md" is not a valid node or group name (use only ASCII letters, digits and -, not starting with -): nodes/README.md',
      '"my_node" is not a valid node or group name (use only ASCII letters, digits and -, not starting with -): nodes/my_node',
      'Node name "current" is reserved: nodes/current',
      '"with space" is not a valid node or group name (use only ASCII letters, digits and -, not starting with -): private/nodes/with space',
    ]);
  });
});
