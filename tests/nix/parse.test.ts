// Positions, comments, decoded values and error reports of the Nix parser.

import { describe, expect, it } from "vitest";
import type {
  AttrBinding,
  AttrSet,
  Expr,
  Lambda,
  ParsedFile,
  StringLit,
} from "../../generator/nix/ast.js";
import { parseNix, sourceOf } from "../../generator/nix/parse.js";

function parse(src: string): ParsedFile {
  const r = parseNix(src, "f.nix");
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}:${e.column} ${e.message}`).join("\n"));
  return r.value;
}
function error(src: string) {
  const r = parseNix(src, "dir/f.nix");
  if (r.ok) throw new Error(`accepted: ${src}`);
  expect(r.errors).toHaveLength(1);
  return r.errors[0]!;
}
const at = (e: { span: { start: { line: number; column: number } } }) =>
  `${e.span.start.line}:${e.span.start.column}`;
const to = (e: { span: { end: { line: number; column: number } } }) =>
  `${e.span.end.line}:${e.span.end.column}`;

describe("positions", () => {
  it("puts every node at its line and column, ends exclusive", () => {
    const src = "{\n  a = 1;\n  b.c = [ x: x ];\n}";
    const p = parse(src.replace("[ x: x ]", "[ (x: x) ]"));
    const set = p.expr as AttrSet;
    expect(set.kind).toBe("AttrSet");
    expect([at(set), to(set)]).toEqual(["1:1", "4:2"]);
    const [a, bc] = set.bindings as AttrBinding[];
    expect([at(a!), to(a!)]).toEqual(["2:3", "2:9"]);
    expect(at(a!.value)).toBe("2:7");
    expect(bc!.path.map(at)).toEqual(["3:3", "3:5"]);
    expect(sourceOf(p, bc!.value.span)).toBe("[ (x: x) ]");
  });

  it("counts columns in UTF-16 units and CR, LF and CRLF as line ends", () => {
    const p = parse('{\r\n  "é" = "😀"; x = 1;\r  y = 2;\n}');
    const [e, x, y] = (p.expr as AttrSet).bindings as AttrBinding[];
    expect(at(e!)).toBe("2:3");
    expect(at(x!)).toBe("2:15");
    expect(at(y!)).toBe("3:3");
    expect(to(p.expr)).toBe("4:2");
  });

  it("gives lambdas, formals and defaults their spans", () => {
    const p = parse("{ a, b ? 2, ... }@args:\n  a");
    const l = p.expr as Lambda;
    expect(l.arg).toBe("args");
    expect(l.formals!.ellipsis).toBe(true);
    expect(l.formals!.formals.map((f) => [f.name, at(f)])).toEqual([
      ["a", "1:3"],
      ["b", "1:6"],
    ]);
    expect(sourceOf(p, l.formals!.formals[1]!.span)).toBe("b ? 2");
    expect(at(l.body)).toBe("2:3");
  });

  it("keeps every comment with its text and position", () => {
    const p = parse("# head\n{ /* in\n side */ a = 1; # tail\n}");
    expect(p.comments.map((c) => [c.kind, c.text, at(c)])).toEqual([
      ["Line", "# head", "1:1"],
      ["Block", "/* in\n side */", "2:3"],
      ["Line", "# tail", "3:17"],
    ]);
  });
});

describe("decoded literals", () => {
  const str = (src: string) => {
    const s = parse(src).expr as StringLit;
    expect(s.kind).toBe("String");
    return s.parts.map((p) => (p.kind === "Text" ? p.value : "${…}")).join("");
  };
  it("decodes string escapes", () => {
    expect(str(String.raw`"a\nb\t\"\${x}\q\\"`)).toBe('a\nb\t"${x}q\\');
    expect(str('"$${x}"')).toBe("$${x}");
  });
  it("strips indentation as Nix does and decodes '' escapes", () => {
    expect(str("''\n    a\n      b\n    ''")).toBe("a\n  b\n");
    expect(str("''\n  a\n\n  b''")).toBe("a\n\nb");
    expect(str("''a''$b'''c''\\nd''")).toBe("a$b''c\nd");
    expect(str("''\n  x ${toString 1} y\n''")).toBe("x ${…} y\n");
  });
  it("reads numbers as Nix does", () => {
    const list = parse("[ 1. .5 1.5e3 007 9223372036854775807 ]").expr as Extract<
      Expr,
      { kind: "List" }
    >;
    expect(
      list.items.map((i) => (i.kind === "Float" ? i.value : i.kind === "Int" ? i.value : null)),
    ).toEqual([1, 0.5, 1500, 7n, 9223372036854775807n]);
  });
  it("reads `a:b` as a URI and `a: b` as a function", () => {
    expect(parse("a:b").expr.kind).toBe("Uri");
    expect(parse("a: a").expr.kind).toBe("Lambda");
  });
});

describe("errors", () => {
  it("reports syntax errors where Nix does, with what was expected", () => {
    const e = error("{\n  a = 1\n}");
    expect(e).toMatchObject({ code: "nix-parse", file: "dir/f.nix", line: 3, column: 1 });
    expect(e.message).toBe("syntax error, unexpected '}', expecting ';'");
  });
  it("reports pipe operators as the experimental feature they are, at the operator", () => {
    const e = error("xs: f:\n  xs |> f");
    expect(e).toMatchObject({ code: "nix-parse", file: "dir/f.nix", line: 2, column: 6 });
    expect(e.message).toBe(
      "experimental Nix feature 'pipe-operators' is disabled; add '--extra-experimental-features pipe-operators' to enable it",
    );
    expect(e.hint).toMatch(/write `f x` instead of `x \|> f`/);
    expect(error("f: x: f <| x")).toMatchObject({ line: 1, column: 9 });
    expect(error('x: "${x |> x}"')).toMatchObject({ line: 1, column: 9 });
    // An earlier syntax error wins, as in Nix; in strings and comments `|>` is text.
    expect(error("x: x ; |> x").message).toBe(
      "syntax error, unexpected ';', expecting end of file",
    );
    expect(parseNix("# x |> f\n''|>'' + \"<|\"", "f.nix").ok).toBe(true);
  });
  it("reports the end of file", () => {
    expect(error("{ a = 1;").message).toBe("syntax error, unexpected end of file, expecting '}'");
  });
  it("reports a duplicate attribute at the second definition, naming the first", () => {
    const e = error("{\n  a = 1;\n  a = 2;\n}");
    expect(e).toMatchObject({ line: 3, column: 3 });
    expect(e.message).toBe("attribute 'a' already defined at dir/f.nix:2:3");
  });
  it("reports nested duplicates with their whole path", () => {
    const e = error("{ a.b = 1; a.b = 2; }");
    expect(e.message).toBe("attribute 'a.b' already defined at dir/f.nix:1:3");
    expect(e.column).toBe(12);
  });
  it("reports undefined variables like Nix's parser", () => {
    const e = error("{ lib }:\n{ x = lib.a; y = pkgs.b; }");
    expect(e).toMatchObject({ line: 2, column: 18 });
    expect(e.message).toBe("undefined variable 'pkgs'");
  });
  it("accepts unknown variables under `with`", () => {
    expect(parseNix("with {}; pkgs", "f.nix").ok).toBe(true);
  });
  it("reports duplicate formals and lexical errors", () => {
    expect(error("{ a, b, a }: a").message).toBe("duplicate formal function argument 'a'");
    const slash = error("./a/ ");
    expect(slash.message).toBe("path has a trailing slash");
    expect(slash.column).toBe(5);
    expect(error("9223372036854775808").message).toBe("invalid integer '9223372036854775808'");
  });
  it("rejects dynamic attributes in let and inherit", () => {
    expect(error("x: let ${x} = 1; in 1").message).toBe("dynamic attributes not allowed in let");
    expect(error("x: { inherit ${x}; }").message).toBe("dynamic attributes not allowed in inherit");
  });
});
