// How Nix turns the bindings of `{ … }`, `rec { … }` and `let … in` into attribute tables
// (parser.y's addAttr): `a.b = 1; a.c = 2;` make one nested set, a literal set value absorbs later
// `a.x = …` bindings, two literal sets for the same name merge one level deep, and anything
// else defined twice is Nix's "attribute 'x' already defined at …" error.

import type {
  AttrName,
  Binding,
  Expr,
  LegacyLet,
  Let,
  ParsedFile,
  Pos,
  Span,
  AttrSet,
} from "./ast.js";
import { type Diagnostic, type Result, diag, fail, ok } from "../errors.js";
import { staticName } from "./names.js";

export type AttrValue =
  /** Any expression other than a literal attribute set. */
  | { kind: "expr"; expr: Expr }
  /** A literal set (`{…}`, `rec {…}`, possibly in parentheses) or one made by `a.b = …`. */
  | { kind: "attrs"; table: AttrTable; expr: Expr | null }
  /** `inherit x;`: the variable `x` of the enclosing scope. */
  | { kind: "inherit"; span: Span }
  /** `inherit (from) x;` */
  | { kind: "inheritFrom"; from: Expr; span: Span };

export interface AttrEntry {
  name: string;
  value: AttrValue;
  /** Where Nix records the definition: the start of the attribute path (or inherit list). */
  pos: Pos;
  /** Every binding that contributed, in source order. */
  bindings: Binding[];
}

export interface DynamicEntry {
  name: AttrName;
  value: AttrValue;
  pos: Pos;
}

export interface AttrTable {
  rec: boolean;
  /** Static attributes in definition order. */
  attrs: Map<string, AttrEntry>;
  dynamic: DynamicEntry[];
}

export type BindsOwner = AttrSet | Let | LegacyLet;

export function unparen(e: Expr): Expr {
  while (e.kind === "Paren") e = e.expr;
  return e;
}

/** The same `a.b."c"` rendering Nix uses in its messages. */
export function showAttrPath(path: AttrName[]): string {
  return path.map((n) => staticName(n) ?? '"${…}"').join(".");
}

class DupError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/** Builds the table of every binds-owning node of a file, in Nix's order, with its errors. */
export function attrTables(parsed: ParsedFile): Result<Map<BindsOwner, AttrTable>> {
  const tables = new Map<BindsOwner, AttrTable>();
  const where = (p: Pos) => `${parsed.file}:${p.line}:${p.column}`;
  const dup = (what: string, at: Pos, prev: Pos): never => {
    throw new DupError(
      diag("nix-parse", `attribute '${what}' already defined at ${where(prev)}`, {
        file: parsed.file,
        line: at.line,
        column: at.column,
      }),
    );
  };

  const valueOf = (e: Expr): AttrValue => {
    const u = unparen(e);
    if (u.kind === "AttrSet") return { kind: "attrs", table: tables.get(u)!, expr: e };
    return { kind: "expr", expr: e };
  };

  const addAttr = (root: AttrTable, path: AttrName[], e: Expr, pos: Pos, b: Binding) => {
    let t = root;
    for (const comp of path.slice(0, -1)) {
      const name = staticName(comp);
      if (name === null) {
        const nested: AttrTable = { rec: false, attrs: new Map(), dynamic: [] };
        t.dynamic.push({ name: comp, value: { kind: "attrs", table: nested, expr: null }, pos });
        t = nested;
        continue;
      }
      const j = t.attrs.get(name);
      if (j) {
        if (j.value.kind !== "attrs") dup(showAttrPath(path), pos, j.pos);
        j.bindings.push(b);
        t = (j.value as { table: AttrTable }).table;
      } else {
        const nested: AttrTable = { rec: false, attrs: new Map(), dynamic: [] };
        t.attrs.set(name, {
          name,
          value: { kind: "attrs", table: nested, expr: null },
          pos,
          bindings: [b],
        });
        t = nested;
      }
    }
    const last = path[path.length - 1]!;
    const name = staticName(last);
    const v = valueOf(e);
    if (name === null) {
      t.dynamic.push({ name: last, value: v, pos });
      return;
    }
    const j = t.attrs.get(name);
    if (!j) {
      t.attrs.set(name, { name, value: v, pos, bindings: [b] });
      return;
    }
    if (j.value.kind === "attrs" && v.kind === "attrs") {
      // Nix merges only the new set's static attributes, one level deep, into the old set.
      for (const [k, ad] of v.table.attrs) {
        const j2 = j.value.table.attrs.get(k);
        if (j2) dup(k, j2.pos, ad.pos);
        j.value.table.attrs.set(k, ad);
      }
      j.bindings.push(b);
      return;
    }
    dup(showAttrPath(path), pos, j.pos);
  };

  const build = (bindings: Binding[], rec: boolean): AttrTable => {
    const t: AttrTable = { rec, attrs: new Map(), dynamic: [] };
    for (const b of bindings) {
      if (b.kind === "AttrBinding") {
        addAttr(t, b.path, b.value, b.path[0]!.span.start, b);
        continue;
      }
      if (b.names.length === 0) continue;
      const pos = b.names[0]!.span.start;
      for (const n of b.names) {
        const name = staticName(n)!;
        const j = t.attrs.get(name);
        if (j) dup(name, pos, j.pos);
        const value: AttrValue = b.from
          ? { kind: "inheritFrom", from: b.from, span: n.span }
          : { kind: "inherit", span: n.span };
        t.attrs.set(name, { name, value, pos, bindings: [b] });
      }
    }
    return t;
  };

  const visitNames = (path: AttrName[]) => {
    for (const n of path) {
      if (n.kind === "String") visit(n.string);
      else if (n.kind === "Dynamic") visit(n.expr);
    }
  };
  const visitBindings = (bindings: Binding[]) => {
    for (const b of bindings) {
      if (b.kind === "AttrBinding") {
        visitNames(b.path);
        visit(b.value);
      } else {
        if (b.from) visit(b.from);
        visitNames(b.names);
      }
    }
  };

  // Post-order, like bison's reductions: inner sets exist before the bindings that extend them.
  const visit = (e: Expr): void => {
    switch (e.kind) {
      case "AttrSet":
      case "LegacyLet":
        visitBindings(e.bindings);
        tables.set(e, build(e.bindings, e.kind === "LegacyLet" || e.rec));
        return;
      case "Let": {
        visitBindings(e.bindings);
        const t = build(e.bindings, true);
        if (t.dynamic.length)
          throw new DupError(
            diag("nix-parse", "dynamic attributes not allowed in let", {
              file: parsed.file,
              line: e.span.start.line,
              column: e.span.start.column,
            }),
          );
        tables.set(e, t);
        visit(e.body);
        return;
      }
      default:
        forEachChild(e, visit);
    }
  };

  try {
    visit(parsed.expr);
  } catch (err) {
    if (err instanceof DupError) return fail(err.diagnostic);
    throw err;
  }
  return ok(tables);
}

/** Calls f on each direct sub-expression, in source order. */
export function forEachChild(e: Expr, f: (e: Expr) => void): void {
  const names = (path: AttrName[]) => {
    for (const n of path) {
      if (n.kind === "String") f(n.string);
      else if (n.kind === "Dynamic") f(n.expr);
    }
  };
  switch (e.kind) {
    case "Int":
    case "Float":
    case "SearchPath":
    case "Uri":
    case "Var":
      return;
    case "String":
    case "Path":
      for (const p of e.parts) if (p.kind === "Interpolation") f(p.expr);
      return;
    case "Select":
      f(e.expr);
      names(e.path);
      if (e.default) f(e.default);
      return;
    case "HasAttr":
      f(e.expr);
      names(e.path);
      return;
    case "AttrSet":
    case "LegacyLet":
    case "Let":
      for (const b of e.bindings) {
        if (b.kind === "AttrBinding") {
          names(b.path);
          f(b.value);
        } else {
          if (b.from) f(b.from);
          names(b.names);
        }
      }
      if (e.kind === "Let") f(e.body);
      return;
    case "List":
      e.items.forEach(f);
      return;
    case "With":
      f(e.scope);
      f(e.body);
      return;
    case "Assert":
      f(e.cond);
      f(e.body);
      return;
    case "If":
      f(e.cond);
      f(e.then);
      f(e.else);
      return;
    case "Lambda":
      if (e.formals) for (const x of e.formals.formals) if (x.default) f(x.default);
      f(e.body);
      return;
    case "Apply":
      f(e.fn);
      f(e.arg);
      return;
    case "Unary":
      f(e.expr);
      return;
    case "Binary":
      f(e.lhs);
      f(e.rhs);
      return;
    case "Paren":
      f(e.expr);
      return;
  }
}
