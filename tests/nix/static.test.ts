// The static evaluator: top-level keys of attribute-set files, os/channel/system definitions
// with their priorities and exact places, and the module system's choice among them.

import { describe, expect, it } from "vitest";
import type { ParsedFile } from "../../generator/nix/ast.js";
import { parseNix, sourceOf } from "../../generator/nix/parse.js";
import {
  type StaticDef,
  resolveStatic,
  staticAttrSet,
  staticMetaDefs,
} from "../../generator/nix/static.js";
import type { Diagnostic, Result } from "../../generator/errors.js";

const OPTIONS = ["os", "channel", "system"] as const;

function parse(src: string, file = "nodes/n/node.nix"): ParsedFile {
  const r = parseNix(src, file);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n"));
  return r.value;
}

/** Definitions as `value@priority line:col` strings, per option. */
function defs(src: string, load?: (p: string) => Result<ParsedFile>): Record<string, string[]> {
  const p = parse(src);
  const r = staticMetaDefs(p.expr, p.file, OPTIONS, load);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n"));
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(r.value))
    if (v.length)
      out[k] = v.map(
        (d) => `${String(d.value)}@${d.priority} ${d.loc.file}:${d.loc.line}:${d.loc.column}`,
      );
  return out;
}

function errors(src: string, load?: (p: string) => Result<ParsedFile>): Diagnostic[] {
  const p = parse(src);
  const r = staticMetaDefs(p.expr, p.file, OPTIONS, load);
  if (r.ok) throw new Error(`no error for ${src}`);
  return r.errors;
}
const F = "nodes/n/node.nix";

describe("staticAttrSet", () => {
  it("lists the top-level keys in order with their places", () => {
    const p = parse(
      'let shared = { }; in {\n  common = { channel = "x"; };\n  "web-1" = { };\n  inherit shared;\n}',
      "nodes/g/group.nix",
    );
    const r = staticAttrSet(p);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((b) => [b.name, `${b.loc.file}:${b.loc.line}:${b.loc.column}`])).toEqual([
      ["common", "nodes/g/group.nix:2:3"],
      ["web-1", "nodes/g/group.nix:3:3"],
      ["shared", "nodes/g/group.nix:4:11"],
    ]);
    expect(sourceOf(p, r.value[0]!.value!.span)).toBe('{ channel = "x"; }');
    expect(r.value[2]!.value).toMatchObject({ kind: "Var", name: "shared" });
  });

  it("lets staticMetaDefs read group values in the file's own scope", () => {
    const p = parse(
      `let
  ch = "stable";
  base = { os = "nixos"; };
in rec {
  common = { channel = ch; };
  inherit base;
  web = { os = common.os or "darwin"; system = sys; };
  sys = "x86_64-linux";
  inherit (base) os;
}`,
      "nodes/g/group.nix",
    );
    const r = staticAttrSet(p);
    if (!r.ok) throw new Error(r.errors[0]!.message);
    const read = (name: string) => {
      const b = r.value.find((x) => x.name === name)!;
      const d = staticMetaDefs(b.value!, "nodes/g/group.nix", OPTIONS);
      if (!d.ok) throw new Error(d.errors[0]!.message);
      return Object.fromEntries(
        Object.entries(d.value)
          .filter(([, v]) => v.length)
          .map(([k, v]) => [k, v.map((x) => `${String(x.value)} ${x.loc.line}:${x.loc.column}`)]),
      );
    };
    expect(read("common")).toEqual({ channel: ["stable 2:8"] });
    expect(read("base")).toEqual({ os: ["nixos 3:17"] });
    expect(read("web")).toEqual({ os: ["darwin 7:29"], system: ["x86_64-linux 8:9"] });
  });

  it("accepts rec sets and parentheses", () => {
    for (const src of [
      "rec { a = 1; b = a; }",
      "({ a = 1; b = 2; })",
      "let x = 1; in (let y = 2; in { a = x; b = y; })",
    ]) {
      const r = staticAttrSet(parse(src));
      expect(r.ok && r.value.map((b) => b.name)).toEqual(["a", "b"]);
    }
  });

  it("gives a key made of nested paths one value holding all of them", () => {
    const p = parse(
      '{\n  node1.os = "nixos";\n  node1.channel = lib.mkDefault "unstable";\n}'.replace(
        "lib.mkDefault",
        "",
      ),
    );
    const r = staticAttrSet(p);
    if (!r.ok) throw new Error("failed");
    expect(r.value.map((b) => b.name)).toEqual(["node1"]);
    expect(r.value[0]!.loc).toEqual({ file: F, line: 2, column: 3 });
    const d = staticMetaDefs(r.value[0]!.value!, F, OPTIONS);
    expect(d.ok && d.value.os!.map((x) => [x.value, x.loc.line, x.loc.column])).toEqual([
      ["nixos", 2, 14],
    ]);
    expect(d.ok && d.value.channel!.map((x) => [x.value, x.loc.line, x.loc.column])).toEqual([
      ["unstable", 3, 20],
    ]);
  });

  it("merges a literal set with later paths into one key, as Nix does", () => {
    const p = parse('{ a = { os = "nixos"; }; a.channel = "x"; }');
    const r = staticAttrSet(p);
    if (!r.ok) throw new Error("failed");
    expect(r.value.map((b) => b.name)).toEqual(["a"]);
    const d = staticMetaDefs(r.value[0]!.value!, F, OPTIONS);
    expect(d.ok && [d.value.os![0]!.value, d.value.channel![0]!.value]).toEqual(["nixos", "x"]);
  });

  it("refuses a file that is not an attribute set, at the expression", () => {
    const r = staticAttrSet(parse("{ lib, ... }:\n{ }", "nodes/g/group.nix"));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatchObject({
      code: "not-attrset",
      file: "nodes/g/group.nix",
      line: 1,
      column: 1,
    });
    const r2 = staticAttrSet(parse("let a = 1; in\n  [ a ]"));
    expect(!r2.ok && r2.errors[0]).toMatchObject({ code: "not-attrset", line: 2, column: 3 });
  });

  it("refuses computed key names", () => {
    const r = staticAttrSet(parse('let n = "a"; in { ${n} = 1; }'));
    expect(!r.ok && r.errors[0]).toMatchObject({ code: "attr-not-static", line: 1, column: 19 });
  });

  it("lets Nix's own duplicate-attribute error through at the second definition", () => {
    const r = parseNix("{\n  a = 1;\n  a.b = 2;\n}", "nodes/g/group.nix");
    expect(!r.ok && r.errors[0]).toMatchObject({
      code: "nix-parse",
      line: 3,
      column: 3,
      message: "attribute 'a.b' already defined at nodes/g/group.nix:2:3",
    });
  });
});

describe("staticMetaDefs: where definitions are", () => {
  it("reads a plain attribute set, ignoring other keys whatever they are", () => {
    expect(
      defs(
        '{ lib, ... }:\n{\n  os = "nixos";\n  channel = "unstable";\n  deploy.targetHost = lib.foo 1;\n  x = y: y;\n}',
      ),
    ).toEqual({ os: [`nixos@100 ${F}:3:8`], channel: [`unstable@100 ${F}:4:13`] });
  });

  it("reads functions with any formals, with or without `...`, and plain `args:`", () => {
    expect(defs('{ lib, lib\', inputs, nodes }: { os = "nixos"; }')).toEqual({
      os: [`nixos@100 ${F}:1:38`],
    });
    expect(defs('{ nodes, ... }: { os = "darwin"; }')).toEqual({ os: [`darwin@100 ${F}:1:24`] });
    expect(defs('args: { channel = args.lib.mkDefault "x"; }')).toEqual({
      channel: [`x@1000 ${F}:1:38`],
    });
    expect(defs('{ lib, ... }@args: { channel = args.lib.mkForce "x"; }')).toEqual({
      channel: [`x@50 ${F}:1:49`],
    });
  });

  it("reads full modules: config = { … }, config.os = …, and { config, ... }: …", () => {
    expect(
      defs('{ lib, ... }: { options.foo = lib.mkOption { }; config = { os = "nixos"; }; }'),
    ).toEqual({
      os: [`nixos@100 ${F}:1:65`],
    });
    expect(defs('{ config.os = "nixos"; config.channel = "a"; }')).toEqual({
      os: [`nixos@100 ${F}:1:15`],
      channel: [`a@100 ${F}:1:41`],
    });
    expect(defs('{ config, lib, ... }: {\n  config.channel = lib.mkForce "x";\n}')).toEqual({
      channel: [`x@50 ${F}:2:32`],
    });
  });

  it("does not take a full module's top-level keys as config", () => {
    expect(defs('{ config = { }; options = { }; _file = "x"; }')).toEqual({});
  });
});

describe("staticMetaDefs: priorities", () => {
  it("maps lib's wrappers to the module system's priorities", () => {
    const src = `{ lib, ... }: lib.mkMerge [
  { os = "nixos"; }
  { os = lib.mkDefault "a"; }
  { os = lib.mkForce "b"; }
  { os = lib.mkOverride 10 "c"; }
  { os = lib.modules.mkDefault "d"; }
  { os = lib.mkOptionDefault "e"; }
  { os = lib.mkVMOverride "f"; }
]`;
    expect(defs(src).os!.map((d) => d.split(" ")[0])).toEqual([
      "nixos@100",
      "a@1000",
      "b@50",
      "c@10",
      "d@1000",
      "e@1500",
      "f@10",
    ]);
  });

  it("knows mkDefault is lib's under `with lib;`, `inherit (lib) …` and aliases", () => {
    expect(defs('{ lib, ... }: with lib; { os = mkDefault "a"; channel = mkForce "b"; }')).toEqual({
      os: [`a@1000 ${F}:1:42`],
      channel: [`b@50 ${F}:1:65`],
    });
    expect(defs('{ lib, ... }: let inherit (lib) mkDefault; in { os = mkDefault "a"; }')).toEqual({
      os: [`a@1000 ${F}:1:64`],
    });
    expect(defs('{ lib, ... }: let l = lib; d = l.mkDefault; in { os = d "a"; }')).toEqual({
      os: [`a@1000 ${F}:1:57`],
    });
  });

  it("does not take a local function named mkDefault for lib's", () => {
    const e = errors('{ lib, ... }: let mkDefault = x: x; in { os = mkDefault "a"; }');
    expect(e[0]).toMatchObject({ code: "meta-not-static", line: 1, column: 47 });
  });

  it("pushes config-level wrappers down to the options, as the module system does", () => {
    expect(defs('{ lib, ... }: { config = lib.mkDefault { os = "a"; channel = "b"; }; }')).toEqual({
      os: [`a@1000 ${F}:1:47`],
      channel: [`b@1000 ${F}:1:62`],
    });
    expect(defs('{ lib, ... }: lib.mkIf true (lib.mkForce { os = "a"; })')).toEqual({
      os: [`a@50 ${F}:1:49`],
    });
  });

  it("understands mkMerge and literal mkIf at every level", () => {
    const src = `{ lib, ... }: {
  config = lib.mkMerge [
    { os = "nixos"; }
    (lib.mkIf true { channel = "a"; })
    (lib.mkIf false { channel = "b"; })
  ];
  system = lib.mkMerge [ (lib.mkIf false "x") (lib.mkIf true (lib.mkDefault "y")) ];
}`;
    expect(defs(src)).toEqual({
      os: [`nixos@100 ${F}:3:12`],
      channel: [`a@100 ${F}:4:32`],
    });
  });

  it("ignores lib.mkIf with an unknown condition when nothing under it is os/channel/system", () => {
    expect(
      defs(
        '{ lib, nodes, ... }: lib.mkMerge [ (lib.mkIf nodes.x { deploy.a = 1; }) { os = "nixos"; } ]',
      ),
    ).toEqual({ os: [`nixos@100 ${F}:1:80`] });
  });

  it("reads literals through let bindings and rec sets", () => {
    expect(defs('let ch = "stable"; os = "nixos"; in { inherit os; channel = ch; }')).toEqual({
      os: [`nixos@100 ${F}:1:25`],
      channel: [`stable@100 ${F}:1:10`],
    });
    expect(defs('rec { channel = "a"; x = channel; }')).toEqual({ channel: [`a@100 ${F}:1:17`] });
  });
});

describe("staticMetaDefs: imports", () => {
  const files: Record<string, string> = {
    "nodes/shared/base.nix":
      '{ lib, ... }: { channel = lib.mkDefault "stable"; imports = [ ./more.nix ]; }',
    "nodes/shared/more.nix": '{ system = "x86_64-linux"; imports = [ ./base.nix ]; }',
  };
  const loaded: string[] = [];
  const load = (p: string): Result<ParsedFile> => {
    loaded.push(p);
    const src = files[p];
    if (src === undefined)
      return { ok: false, errors: [{ code: "read-failed", message: `no ${p}` }] };
    return parseNix(src, p);
  };

  it("follows imports relative to the importing file, once each", () => {
    expect(defs('{ os = "nixos"; imports = [ ../shared/base.nix ]; }', load)).toEqual({
      os: [`nixos@100 ${F}:1:8`],
      channel: ["stable@1000 nodes/shared/base.nix:1:41"],
      system: ["x86_64-linux@100 nodes/shared/more.nix:1:12"],
    });
    expect(loaded).toEqual(["nodes/shared/base.nix", "nodes/shared/more.nix"]);
  });

  it("reads inline modules in imports", () => {
    expect(defs('{ imports = [ { os = "nixos"; } ({ lib, ... }: { channel = "a"; }) ]; }')).toEqual(
      {
        os: [`nixos@100 ${F}:1:22`],
        channel: [`a@100 ${F}:1:60`],
      },
    );
  });

  it("cannot follow a path import without a loader, and says so", () => {
    expect(errors("{ imports = [ ./x.nix ]; }")[0]).toMatchObject({
      code: "meta-not-static",
      line: 1,
      column: 15,
    });
  });
});

describe("staticMetaDefs: what cannot be static", () => {
  const one = (src: string) => {
    const e = errors(src);
    expect(e).toHaveLength(1);
    expect(e[0]!.code).toBe("meta-not-static");
    expect(e[0]!.file).toBe(F);
    return e[0]!;
  };

  it("an if-then-else value, at the value, explaining why and how to fix", () => {
    const e = one('{ nodes, ... }:\n{\n  os = if nodes.x then "nixos" else "darwin";\n}');
    expect([e.line, e.column]).toEqual([3, 8]);
    expect(e.message).toMatch(/os must be a literal string/);
    expect(e.message).toMatch(/if-then-else/);
    expect(e.hint).toMatch(/flake's inputs/);
    expect(e.hint).toMatch(/lib\.mkDefault/);
  });

  it("a variable, a function call, an interpolated string", () => {
    expect(one("{ inputs, ... }: { channel = inputs.ch; }")).toMatchObject({ line: 1, column: 30 });
    expect(one('{ lib, ... }: { channel = lib.toLower "X"; }')).toMatchObject({
      line: 1,
      column: 27,
    });
    const i = one('let v = "1"; in { channel = "v${v}"; }');
    expect([i.line, i.column]).toEqual([1, 29]);
    expect(i.message).toMatch(/interpolation/);
    expect(one("{ lib, ... }: { os = lib.mkDefault (toString 1); }")).toMatchObject({ column: 37 });
  });

  it("a whole definition that cannot be seen into", () => {
    const e = one("import ./meta.nix");
    expect([e.line, e.column]).toEqual([1, 1]);
    expect(e.message).toMatch(/cannot see whether this definition sets os\/channel\/system/);
    expect(one("{ nodes, ... }: nodes.other.meta")).toMatchObject({ line: 1, column: 17 });
  });

  it("a lib.mkIf with an unknown condition around os", () => {
    const e = one('{ lib, nodes, ... }: lib.mkIf nodes.x { os = "nixos"; }');
    expect([e.line, e.column]).toEqual([1, 22]);
    expect(e.message).toMatch(/condition/);
  });

  it("nested priority wrappers, which the module system rejects", () => {
    const e = one('{ lib, ... }: { os = lib.mkDefault (lib.mkForce "nixos"); }');
    expect(e.column).toBe(37);
    expect(e.message).toMatch(/lib\.mkForce inside lib\.mkDefault/);
    expect(
      one('{ lib, ... }: { config = lib.mkDefault { os = lib.mkForce "a"; }; }'),
    ).toMatchObject({
      column: 47,
    });
  });

  it("reports every problem, not just the first", () => {
    expect(errors("{ a, b, ... }: { os = a; channel = b; }").map((e) => e.column)).toEqual([
      23, 36,
    ]);
  });
});

describe("resolveStatic", () => {
  const d = (value: string, priority: number, line: number): StaticDef => ({
    value,
    priority,
    loc: { file: `f${line}.nix`, line, column: 3 },
  });

  it("is null without definitions", () => {
    expect(resolveStatic("os", [])).toEqual({ ok: true, value: null });
  });

  it("takes the lowest priority number", () => {
    const r = resolveStatic("channel", [d("a", 1000, 1), d("b", 100, 2), d("c", 1500, 3)]);
    expect(r).toEqual({ ok: true, value: d("b", 100, 2) });
  });

  it("accepts equal values at the winning priority", () => {
    const r = resolveStatic("os", [d("nixos", 100, 1), d("nixos", 100, 2), d("darwin", 1000, 3)]);
    expect(r.ok && r.value!.loc.line).toBe(1);
  });

  it("reports different values at the winning priority, naming both places, at the second", () => {
    const r = resolveStatic("os", [
      d("nixos", 50, 1),
      d("nixos", 50, 2),
      d("darwin", 50, 3),
      d("x", 100, 4),
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toMatchObject({
      code: "meta-conflict",
      file: "f3.nix",
      line: 3,
      column: 3,
    });
    expect(r.errors[0]!.message).toContain("f1.nix:1:3");
    expect(r.errors[0]!.message).toContain("f3.nix:3:3");
    expect(r.errors[0]!.message).toMatch(/"nixos".*"darwin"/);
  });
});
