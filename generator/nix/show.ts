// Renders a parsed file the way `nix-instantiate --parse` (Nix 2.18–2.34, nixexpr.cc's show
// methods) prints it: desugared (`a - b` is `(__sub a b)`), fully parenthesised, bindings and
// formals sorted with `inherit` first, paths made absolute. Comparing this with Nix's own output catches precedence and desugaring mistakes that
// accept/reject comparison cannot.

import type { AttrName, Expr, ParsedFile, StringLit, StringPart } from "./ast.js";
import { type AttrTable, type AttrValue, type BindsOwner, attrTables, unparen } from "./attrs.js";
import { staticName } from "./names.js";

export interface ShowOptions {
  /** Directory relative paths resolve against (the file's directory). */
  baseDir: string;
  /** `~` in `~/x`. */
  home: string;
  /**
   * Order `inherit (from) …` groups by their first name. Nix prints them in allocation order,
   * which is not a property of the source, so comparisons canonicalise both sides.
   */
  canonicalOrder?: boolean;
}

export function showString(s: string): string {
  let out = '"';
  for (const c of s) {
    if (c === '"' || c === "\\" || c === "$") out += "\\" + c;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else out += c;
  }
  return out + '"';
}

export function showId(s: string): string {
  if (s === "") return '""';
  if (s === "if") return '"if"';
  if (!/^[a-zA-Z_][a-zA-Z0-9_'-]*$/.test(s)) return showString(s);
  return s;
}

/** C++ `ostream << double` with the default precision: printf's %g with 6 significant digits. */
export function showFloat(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : x < 0 ? "-inf" : "nan";
  const exp = Number(x.toExponential(5).split("e")[1]);
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split("e") as [string, string];
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const f = x.toFixed(Math.max(0, 5 - exp));
  return f.includes(".") ? f.replace(/0+$/, "").replace(/\.$/, "") : f;
}

/** Nix's canonPath: no `.`, `..` resolved lexically, no duplicate or trailing slashes. */
export function canonPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}

/** Code-point order, which is the byte order std::string uses for UTF-8. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

export function showLikeNix(parsed: ParsedFile, opts: ShowOptions): string {
  const t = attrTables(parsed);
  if (!t.ok) throw new Error(t.errors[0]!.message);
  const tables = t.value;
  return new Shower(tables, opts).show(parsed.expr);
}

class Shower {
  constructor(
    private readonly tables: Map<BindsOwner, AttrTable>,
    private readonly opts: ShowOptions,
  ) {}

  show(e: Expr): string {
    switch (e.kind) {
      case "Int":
        return e.value.toString();
      case "Float":
        return showFloat(e.value);
      case "String":
        return this.string(e);
      case "Path":
        return this.path(e.parts);
      case "Uri":
        return showString(e.value);
      case "Var":
        return showId(e.name);
      case "Paren":
        return this.show(e.expr);
      case "Select":
        return (
          `(${this.show(e.expr)}).${this.attrPath(e.path)}` +
          (e.default ? ` or (${this.show(e.default)})` : "")
        );
      case "HasAttr":
        return `((${this.show(e.expr)}) ? ${this.attrPath(e.path)})`;
      case "AttrSet":
        return this.table(this.tables.get(e)!);
      case "LegacyLet":
        return `(${this.table(this.tables.get(e)!)}).body`;
      case "Let":
        return `(let ${this.bindings(this.tables.get(e)!)}in ${this.show(e.body)})`;
      case "List":
        return `[ ${e.items.map((i) => `(${this.show(i)}) `).join("")}]`;
      case "With":
        return `(with ${this.show(e.scope)}; ${this.show(e.body)})`;
      case "Assert":
        return `assert ${this.show(e.cond)}; ${this.show(e.body)}`;
      case "If":
        return `(if ${this.show(e.cond)} then ${this.show(e.then)} else ${this.show(e.else)})`;
      case "Lambda": {
        let s = "(";
        if (e.formals) {
          const formals = [...e.formals.formals].sort((x, y) => byCodePoint(x.name, y.name));
          const fs = formals.map(
            (f) => showId(f.name) + (f.default ? ` ? ${this.show(f.default)}` : ""),
          );
          if (e.formals.ellipsis) fs.push("...");
          s += `{ ${fs.join(", ")} }`;
          if (e.arg !== null) s += " @ ";
        }
        if (e.arg !== null) s += showId(e.arg);
        return s + `: ${this.show(e.body)})`;
      }
      case "Unary":
        return e.op === "!" ? `(! ${this.show(e.expr)})` : this.call(e, []);
      case "Binary":
        switch (e.op) {
          case "+":
            return `(${this.show(e.lhs)} + ${this.show(e.rhs)})`;
          case "<=":
            return `(! (__lessThan ${this.show(e.rhs)} ${this.show(e.lhs)}))`;
          case ">=":
            return `(! (__lessThan ${this.show(e.lhs)} ${this.show(e.rhs)}))`;
          case "-":
          case "*":
          case "/":
          case "<":
          case ">":
            return this.call(e, []);
          default:
            return `(${this.show(e.lhs)} ${e.op} ${this.show(e.rhs)})`;
        }
      case "SearchPath":
        return this.call(e, []);
      case "Apply":
        return this.call(e, []);
    }
  }

  /**
   * Nix builds one ExprCall per application chain and appends further arguments to any call it
   * finds in function position, including the calls that `-`, `*`, `<`, `<x>` desugar to.
   */
  private call(e: Expr, extra: string[]): string {
    const u = unparen(e);
    const head = (fn: string, args: string[]) => `(${[fn, ...args, ...extra].join(" ")})`;
    switch (u.kind) {
      case "Apply":
        return this.call(u.fn, [this.show(u.arg), ...extra]);
      case "Unary":
        if (u.op === "-") return head("__sub", ["0", this.show(u.expr)]);
        break;
      case "Binary": {
        const l = this.show(u.lhs);
        const r = this.show(u.rhs);
        if (u.op === "-") return head("__sub", [l, r]);
        if (u.op === "*") return head("__mul", [l, r]);
        if (u.op === "/") return head("__div", [l, r]);
        if (u.op === "<") return head("__lessThan", [l, r]);
        if (u.op === ">") return head("__lessThan", [r, l]);
        break;
      }
      case "SearchPath":
        return head("__findFile", ["__nixPath", showString(u.path)]);
    }
    return head(this.show(e), []);
  }

  private attrPath(path: AttrName[]): string {
    return path.map((n) => this.attrName(n)).join(".");
  }
  private attrName(n: AttrName): string {
    const s = staticName(n);
    if (s !== null) return showId(s);
    return `"\${${n.kind === "String" ? this.show(n.string) : n.kind === "Dynamic" ? this.show(n.expr) : ""}}"`;
  }

  private table(t: AttrTable): string {
    return `${t.rec ? "rec " : ""}{ ${this.bindings(t)}}`;
  }

  /** ExprAttrs::showBindings: `inherit a b; `, then `inherit (from) c; ` groups, then the rest. */
  private bindings(t: AttrTable): string {
    const names = [...t.attrs.keys()].sort(byCodePoint);
    const inherits: string[] = [];
    const from = new Map<Expr, string[]>();
    const plain: string[] = [];
    for (const name of names) {
      const v = t.attrs.get(name)!.value;
      if (v.kind === "inherit") inherits.push(showId(name));
      else if (v.kind === "inheritFrom")
        from.set(v.from, [...(from.get(v.from) ?? []), showId(name)]);
      else plain.push(`${showId(name)} = ${this.value(v, name)}; `);
    }
    let s = inherits.length ? `inherit ${inherits.join(" ")}; ` : "";
    const groups = [...from].sort(([x, xs], [y, ys]) =>
      this.opts.canonicalOrder
        ? byCodePoint(xs[0]!, ys[0]!)
        : x.span.start.offset - y.span.start.offset,
    );
    for (const [e, syms] of groups) s += `inherit (${this.show(e)}) ${syms.join(" ")}; `;
    s += plain.join("");
    for (const d of t.dynamic) s += `${this.attrName(d.name)} = ${this.value(d.value, "")}; `;
    return s;
  }

  private value(v: AttrValue, name: string): string {
    switch (v.kind) {
      case "expr":
        return this.show(v.expr);
      case "attrs":
        return this.table(v.table);
      case "inherit":
        return showId(name);
      case "inheritFrom":
        return `(${this.show(v.from)}).${showId(name)}`;
    }
  }

  private string(s: StringLit): string {
    if (s.parts.length === 0) return '""';
    if (s.parts.length === 1 && s.parts[0]!.kind === "Text") return showString(s.parts[0]!.value);
    return this.concat(s.parts);
  }
  private concat(parts: StringPart[]): string {
    return `(${parts.map((p) => (p.kind === "Text" ? showString(p.value) : this.show(p.expr))).join(" + ")})`;
  }

  private path(parts: StringPart[]): string {
    const first = parts[0]!;
    const raw = first.kind === "Text" ? first.value : "";
    let abs: string;
    if (raw.startsWith("~")) abs = this.opts.home + raw.slice(1);
    else {
      abs = canonPath(raw.startsWith("/") ? raw : `${this.opts.baseDir}/${raw}`);
      if (raw.endsWith("/") && raw.length > 1) abs += "/";
    }
    if (parts.length === 1) return abs;
    return `(${[abs, ...parts.slice(1).map((p) => (p.kind === "Text" ? showString(p.value) : this.show(p.expr)))].join(" + ")})`;
  }
}
