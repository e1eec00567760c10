// The Nix 2.8 expression grammar (src/libexpr/parser.y) as a recursive-descent parser with
// precedence climbing that reproduces bison's precedence/associativity decisions exactly,
// followed by the checks Nix makes while parsing: duplicate attributes and formals, dynamic
// attributes in `let`, and undefined variables (Nix's bindVars runs as part of parsing a file).

import type {
  AttrName,
  AttrSet,
  BinaryOp,
  Binding,
  Expr,
  Formal,
  Formals,
  Interpolation,
  ParsedFile,
  Pos,
  Span,
  StringLit,
  StringPart,
} from "./ast.js";
import { type Diagnostic, type Result, diag, fail, ok } from "../errors.js";
import {
  PIPE_OPERATORS_HINT,
  PIPE_OPERATORS_MESSAGE,
  type Token,
  type TokenType,
  lex,
} from "./lexer.js";
import { attrTables, forEachChild } from "./attrs.js";
import { staticName } from "./names.js";
import { checkScopes } from "./scope.js";

class ParseFailure extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

const TOKEN_NAMES: Partial<Record<TokenType, string>> = {
  ID: "identifier",
  INT: "integer",
  FLOAT: "float",
  STR: "string text",
  IND_STR: "string text",
  PATH: "path",
  HPATH: "path",
  SPATH: "<path>",
  URI: "URI",
  PATH_END: "end of path",
  DOLLAR_CURLY: "'${'",
  IND_STRING_OPEN: "''",
  IND_STRING_CLOSE: "''",
  ELLIPSIS: "'...'",
  EQ: "'=='",
  NEQ: "'!='",
  LEQ: "'<='",
  GEQ: "'>='",
  AND: "'&&'",
  OR: "'||'",
  IMPL: "'->'",
  UPDATE: "'//'",
  CONCAT: "'++'",
  EOF: "end of file",
};

function describe(t: Token): string {
  if (t.type === "CHAR") return `'${t.value}'`;
  if (t.type === "ID") return `identifier '${t.text}'`;
  const kw = t.type.toLowerCase();
  if (["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit"].includes(kw))
    return `'${kw}'`;
  if (t.type === "OR_KW") return "'or'";
  return TOKEN_NAMES[t.type] ?? t.type;
}

type Assoc = "left" | "right" | "nonassoc";
// parser.y's %left/%right/%nonassoc lines, lowest first.
const BINARY: Partial<Record<string, { level: number; assoc: Assoc; op: BinaryOp | "?" }>> = {
  IMPL: { level: 1, assoc: "right", op: "->" },
  OR: { level: 2, assoc: "left", op: "||" },
  AND: { level: 3, assoc: "left", op: "&&" },
  EQ: { level: 4, assoc: "nonassoc", op: "==" },
  NEQ: { level: 4, assoc: "nonassoc", op: "!=" },
  "<": { level: 5, assoc: "nonassoc", op: "<" },
  ">": { level: 5, assoc: "nonassoc", op: ">" },
  LEQ: { level: 5, assoc: "nonassoc", op: "<=" },
  GEQ: { level: 5, assoc: "nonassoc", op: ">=" },
  UPDATE: { level: 6, assoc: "right", op: "//" },
  "+": { level: 8, assoc: "left", op: "+" },
  "-": { level: 8, assoc: "left", op: "-" },
  "*": { level: 9, assoc: "left", op: "*" },
  "/": { level: 9, assoc: "left", op: "/" },
  CONCAT: { level: 10, assoc: "right", op: "++" },
  "?": { level: 11, assoc: "nonassoc", op: "?" },
};
const NOT_LEVEL = 7;
const NEGATE_LEVEL = 12;

const SELECT_STARTS = new Set([
  "ID",
  "INT",
  "FLOAT",
  "IND_STRING_OPEN",
  "PATH",
  "HPATH",
  "SPATH",
  "URI",
  "LET",
  "REC",
  'CHAR"',
  "CHAR(",
  "CHAR{",
  "CHAR[",
]);

const key = (t: Token) => (t.type === "CHAR" ? `CHAR${t.value}` : t.type);

/**
 * How deeply expressions may nest. The parser and every walk over the tree recurse once per
 * level, and Node's default stack ends near 840 levels of nested attribute sets; real files stay far below (the deepest of ~6,500
 * files of nixpkgs.lib, home-manager, nixvim and others is 252), so deeper input is refused with a
 * position instead of a RangeError.
 */
export const MAX_NESTING = 400;
const TOO_DEEP = `expression nested more than ${MAX_NESTING} levels deep`;
const TOO_DEEP_HINT =
  "nixverse-gen reads this file itself and does not go deeper: split the expression up, e.g. into let bindings";
// parseExpr, parseOp and parseSelect: each level of nesting passes through at most these three.
const MAX_FRAMES = 3 * MAX_NESTING;

class Parser {
  private i = 0;
  /** Active parseExpr/parseOp/parseSelect calls (see MAX_FRAMES). */
  private frames = 0;
  private lastEnd: Pos;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
  ) {
    this.lastEnd = tokens[0]!.span.start;
  }

  private peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)]!;
  }
  private is(t: Token, type: TokenType | string): boolean {
    return type.length === 1 ? t.type === "CHAR" && t.value === type : t.type === type;
  }
  private at(type: TokenType | string, k = 0): boolean {
    return this.is(this.peek(k), type);
  }
  private next(): Token {
    const t = this.peek();
    if (t.type === "ERROR") this.fail([]);
    if (t.type !== "EOF") this.i++;
    this.lastEnd = t.span.end;
    return t;
  }
  private expect(type: TokenType | string, name: string): Token {
    if (!this.at(type)) this.fail([name]);
    return this.next();
  }
  private span(start: Pos): Span {
    return { start, end: this.lastEnd };
  }

  fail(expecting: string[], at: Token = this.peek()): never {
    if (at.type === "ERROR") {
      const hint = at.value === PIPE_OPERATORS_MESSAGE ? PIPE_OPERATORS_HINT : undefined;
      throw new ParseFailure(diag("nix-parse", at.value, this.where(at.span.start), hint));
    }
    let message = `syntax error, unexpected ${describe(at)}`;
    if (expecting.length) message += `, expecting ${expecting.join(" or ")}`;
    throw new ParseFailure(diag("nix-parse", message, this.where(at.span.start)));
  }
  private where(p: Pos) {
    return { file: this.file, line: p.line, column: p.column };
  }
  failAt(message: string, p: Pos): never {
    throw new ParseFailure(diag("nix-parse", message, this.where(p)));
  }

  parseFile(): Expr {
    const e = this.parseExpr();
    if (!this.at("EOF")) this.fail(["end of file"]);
    return e;
  }

  /** Counts one more recursive call, refusing input nested deeper than MAX_FRAMES calls. */
  private enter(): void {
    if (++this.frames > MAX_FRAMES) this.failTooDeep(this.peek().span.start);
  }
  private failTooDeep(p: Pos): never {
    throw new ParseFailure(diag("nix-too-deep", TOO_DEEP, this.where(p), TOO_DEEP_HINT));
  }

  parseExpr(): Expr {
    this.enter();
    const e = this.parseExprStep();
    this.frames--;
    return e;
  }

  private parseExprStep(): Expr {
    const t = this.peek();
    const start = t.span.start;
    if (t.type === "ID") {
      if (this.at(":", 1)) {
        this.next();
        this.next();
        const body = this.parseExpr();
        return { kind: "Lambda", arg: t.text, formals: null, body, span: this.span(start) };
      }
      if (this.at("@", 1)) {
        this.next();
        this.next();
        this.expect("{", "'{'");
        const formals = this.parseFormals(start);
        this.expect(":", "':'");
        this.checkFormals(formals, t.text, start);
        const body = this.parseExpr();
        return { kind: "Lambda", arg: t.text, formals, body, span: this.span(start) };
      }
    }
    if (this.is(t, "{") && this.formalsAhead()) {
      this.next();
      const formals = this.parseFormals(start);
      let arg: string | null = null;
      if (this.at("@")) {
        this.next();
        arg = this.expect("ID", "identifier").text;
      }
      if (!this.at(":")) this.fail(arg === null ? ["':'", "'@'"] : ["':'"]);
      this.next();
      this.checkFormals(formals, arg, start);
      const body = this.parseExpr();
      return { kind: "Lambda", arg, formals, body, span: this.span(start) };
    }
    if (t.type === "ASSERT" || t.type === "WITH") {
      this.next();
      const head = this.parseExpr();
      this.expect(";", "';'");
      const body = this.parseExpr();
      return t.type === "ASSERT"
        ? { kind: "Assert", cond: head, body, span: this.span(start) }
        : { kind: "With", scope: head, body, span: this.span(start) };
    }
    if (t.type === "LET" && !this.at("{", 1)) {
      this.next();
      const bindings = this.parseBinds("IN");
      this.expect("IN", "'in'");
      const body = this.parseExpr();
      return { kind: "Let", bindings, body, span: this.span(start) };
    }
    if (t.type === "IF") {
      this.next();
      const cond = this.parseExpr();
      this.expect("THEN", "'then'");
      const then = this.parseExpr();
      this.expect("ELSE", "'else'");
      const els = this.parseExpr();
      return { kind: "If", cond, then, else: els, span: this.span(start) };
    }
    return this.parseOp(0, "left");
  }

  /** After `{` in expression position: is this a function's formals rather than an attribute set? */
  private formalsAhead(): boolean {
    const a = this.peek(1);
    if (this.is(a, "}")) return this.at(":", 2) || this.at("@", 2);
    if (a.type === "ELLIPSIS") return true;
    if (a.type === "ID") {
      const b = this.peek(2);
      return this.is(b, ",") || this.is(b, "?") || this.is(b, "}");
    }
    return false;
  }

  /** Called after `{`; consumes through `}`. */
  private parseFormals(start: Pos): Formals {
    const formals: Formal[] = [];
    let ellipsis = false;
    for (;;) {
      if (this.at("}")) break;
      if (this.at("ELLIPSIS")) {
        this.next();
        ellipsis = true;
        this.expect("}", "'}'");
        return { formals, ellipsis, span: this.span(start) };
      }
      const id = this.expect("ID", "identifier");
      let def: Expr | null = null;
      if (this.at("?")) {
        this.next();
        def = this.parseExpr();
      }
      formals.push({ name: id.text, default: def, span: this.span(id.span.start) });
      if (this.at(",")) {
        this.next();
        continue;
      }
      if (!this.at("}")) this.fail(def === null ? ["','", "'}'", "'?'"] : ["','", "'}'"]);
    }
    this.next();
    return { formals, ellipsis, span: this.span(start) };
  }

  private checkFormals(formals: Formals, arg: string | null, pos: Pos): void {
    const seen = new Map<string, Formal>();
    let dup: Formal | null = null;
    for (const f of formals.formals) {
      if (seen.has(f.name) && dup === null) dup = f;
      seen.set(f.name, f);
    }
    if (dup) this.failAt(`duplicate formal function argument '${dup.name}'`, dup.span.start);
    if (arg !== null && seen.has(arg))
      this.failAt(`duplicate formal function argument '${arg}'`, pos);
  }

  /** Bison's %prec rules: shift when the next operator binds tighter, reduce when looser. */
  private parseOp(level: number, assoc: Assoc): Expr {
    this.enter();
    const e = this.parseOpStep(level, assoc);
    this.frames--;
    return e;
  }

  private parseOpStep(level: number, assoc: Assoc): Expr {
    let lhs = this.parseUnary();
    for (;;) {
      const t = this.peek();
      const info = BINARY[t.type === "CHAR" ? t.value : t.type];
      if (!info) return lhs;
      if (info.level < level) return lhs;
      if (info.level === level) {
        if (assoc === "left") return lhs;
        if (assoc === "nonassoc") this.fail([]);
      }
      this.next();
      if (info.op === "?") {
        const path = this.parseAttrPath();
        lhs = { kind: "HasAttr", expr: lhs, path, span: this.span(lhs.span.start) };
        continue;
      }
      const rhs = this.parseOp(info.level, info.assoc);
      lhs = {
        kind: "Binary",
        op: info.op,
        lhs,
        rhs,
        span: { start: lhs.span.start, end: rhs.span.end },
      };
    }
  }

  private parseUnary(): Expr {
    const t = this.peek();
    if (this.is(t, "!") || this.is(t, "-")) {
      this.next();
      const neg = t.value === "-";
      const expr = neg ? this.parseOp(NEGATE_LEVEL, "nonassoc") : this.parseOp(NOT_LEVEL, "left");
      return { kind: "Unary", op: neg ? "-" : "!", expr, span: this.span(t.span.start) };
    }
    return this.parseApp();
  }

  private parseApp(): Expr {
    let fn = this.parseSelect();
    while (SELECT_STARTS.has(key(this.peek()))) {
      const arg = this.parseSelect();
      fn = { kind: "Apply", fn, arg, span: { start: fn.span.start, end: arg.span.end } };
    }
    return fn;
  }

  private parseSelect(): Expr {
    this.enter();
    const e = this.parseSelectStep();
    this.frames--;
    return e;
  }

  private parseSelectStep(): Expr {
    const e = this.parseSimple();
    const start = e.span.start;
    if (this.at(".")) {
      this.next();
      const path = this.parseAttrPath();
      let def: Expr | null = null;
      if (this.at("OR_KW")) {
        this.next();
        if (!SELECT_STARTS.has(key(this.peek()))) this.fail([]);
        def = this.parseSelect();
      }
      return { kind: "Select", expr: e, path, default: def, span: this.span(start) };
    }
    if (this.at("OR_KW")) {
      // parser.y: `map or [...]` calls a function named `or` (nixpkgs once had one).
      const t = this.next();
      const orVar: Expr = { kind: "Var", name: "or", span: t.span };
      return { kind: "Apply", fn: e, arg: orVar, span: this.span(start) };
    }
    return e;
  }

  private parseSimple(): Expr {
    const t = this.peek();
    const start = t.span.start;
    switch (t.type) {
      case "ID":
        this.next();
        return { kind: "Var", name: t.text, span: t.span };
      case "INT":
        this.next();
        return { kind: "Int", value: BigInt(t.text), span: t.span };
      case "FLOAT":
        this.next();
        return { kind: "Float", value: Number(t.text), raw: t.text, span: t.span };
      case "IND_STRING_OPEN":
        return this.parseIndString();
      case "PATH":
      case "HPATH":
        return this.parsePath();
      case "SPATH":
        this.next();
        return { kind: "SearchPath", path: t.text.slice(1, -1), span: t.span };
      case "URI":
        this.next();
        return { kind: "Uri", value: t.text, span: t.span };
      case "LET": {
        this.next();
        this.expect("{", "'{'");
        const bindings = this.parseBinds("}");
        this.expect("}", "'}'");
        return { kind: "LegacyLet", bindings, span: this.span(start) };
      }
      case "REC": {
        this.next();
        this.expect("{", "'{'");
        const bindings = this.parseBinds("}");
        this.expect("}", "'}'");
        return { kind: "AttrSet", rec: true, bindings, span: this.span(start) };
      }
      case "CHAR":
        switch (t.value) {
          case '"':
            return this.parseString();
          case "(": {
            this.next();
            const expr = this.parseExpr();
            this.expect(")", "')'");
            return { kind: "Paren", expr, span: this.span(start) };
          }
          case "{": {
            this.next();
            const bindings = this.parseBinds("}");
            this.expect("}", "'}'");
            const set: AttrSet = { kind: "AttrSet", rec: false, bindings, span: this.span(start) };
            return set;
          }
          case "[": {
            this.next();
            const items: Expr[] = [];
            while (SELECT_STARTS.has(key(this.peek()))) items.push(this.parseSelect());
            this.expect("]", "']'");
            return { kind: "List", items, span: this.span(start) };
          }
        }
    }
    return this.fail([]);
  }

  private parseInterpolation(): Interpolation {
    const open = this.next();
    const expr = this.parseExpr();
    this.expect("}", "'}'");
    return { kind: "Interpolation", expr, span: this.span(open.span.start) };
  }

  private parseString(): StringLit {
    const open = this.next();
    const parts: StringPart[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === "STR") {
        this.next();
        parts.push({ kind: "Text", value: t.value, span: t.span });
      } else if (t.type === "DOLLAR_CURLY") parts.push(this.parseInterpolation());
      else break;
    }
    // string_parts: one STR, or an interpolated sequence; two texts in a row only happen at EOF.
    if (parts.length > 1 && parts[0]!.kind === "Text" && parts[1]!.kind === "Text")
      this.fail(["'${'"], this.tokens[this.i - 1]);
    this.expect('"', "'\"'");
    return { kind: "String", indented: false, parts, span: this.span(open.span.start) };
  }

  private parseIndString(): StringLit {
    const open = this.next();
    const raw: RawIndPart[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === "IND_STR") {
        this.next();
        raw.push({ kind: "str", value: t.value, indentation: t.indentation, span: t.span });
      } else if (t.type === "DOLLAR_CURLY")
        raw.push({ kind: "expr", part: this.parseInterpolation() });
      else break;
    }
    this.expect("IND_STRING_CLOSE", "''");
    return {
      kind: "String",
      indented: true,
      parts: stripIndentation(raw),
      span: this.span(open.span.start),
    };
  }

  private parsePath(): Expr {
    const t = this.next();
    const start = t.span.start;
    const parts: StringPart[] = [{ kind: "Text", value: t.value, span: t.span }];
    // path_start string_parts_interpolated PATH_END: after the first segment the sequence must
    // start with an interpolation (or text immediately followed by one).
    let first = true;
    while (!this.at("PATH_END")) {
      const p = this.peek();
      if (p.type === "DOLLAR_CURLY") parts.push(this.parseInterpolation());
      else if (p.type === "STR") {
        if (first && this.peek(1).type !== "DOLLAR_CURLY") this.fail(["'${'"], this.peek(1));
        this.next();
        parts.push({ kind: "Text", value: p.value, span: p.span });
      } else this.fail(["end of path"]);
      first = false;
    }
    const end = this.next();
    return { kind: "Path", parts, span: { start, end: end.span.start } };
  }

  private parseAttrName(): AttrName {
    const t = this.peek();
    if (t.type === "ID" || t.type === "OR_KW") {
      this.next();
      return { kind: "Ident", name: t.text, span: t.span };
    }
    if (this.is(t, '"')) {
      const string = this.parseString();
      return { kind: "String", string, span: string.span };
    }
    if (t.type === "DOLLAR_CURLY") {
      const i = this.parseInterpolation();
      return { kind: "Dynamic", expr: i.expr, span: i.span };
    }
    return this.fail(["identifier", "'or'", "'\"'", "'${'"]);
  }

  private parseAttrPath(): AttrName[] {
    const path = [this.parseAttrName()];
    while (this.at(".")) {
      this.next();
      path.push(this.parseAttrName());
    }
    return path;
  }

  private parseBinds(terminator: "}" | "IN"): Binding[] {
    const bindings: Binding[] = [];
    for (;;) {
      const t = this.peek();
      if (this.at(terminator)) return bindings;
      const start = t.span.start;
      if (t.type === "INHERIT") {
        this.next();
        let from: Expr | null = null;
        if (this.at("(")) {
          this.next();
          from = this.parseExpr();
          this.expect(")", "')'");
        }
        const names: AttrName[] = [];
        for (;;) {
          const n = this.peek();
          if (n.type === "ID" || n.type === "OR_KW" || this.is(n, '"'))
            names.push(this.parseAttrName());
          else if (n.type === "DOLLAR_CURLY") {
            const name = this.parseAttrName();
            if (staticName(name) === null)
              this.failAt("dynamic attributes not allowed in inherit", name.span.start);
            names.push(name);
          } else break;
          const last = names[names.length - 1]!;
          if (last.kind === "String" && staticName(last) === null)
            this.failAt("dynamic attributes not allowed in inherit", last.span.start);
        }
        this.expect(";", "';'");
        bindings.push({ kind: "Inherit", from, names, span: this.span(start) });
        continue;
      }
      if (t.type === "ID" || t.type === "OR_KW" || this.is(t, '"') || t.type === "DOLLAR_CURLY") {
        const path = this.parseAttrPath();
        if (!this.at("=")) this.fail(["'.'", "'='"]);
        this.next();
        const value = this.parseExpr();
        this.expect(";", "';'");
        bindings.push({ kind: "AttrBinding", path, value, span: this.span(start) });
        continue;
      }
      this.fail(terminator === "IN" ? ["'in'"] : ["'}'"]);
    }
  }
}

type RawIndPart =
  | { kind: "str"; value: string; indentation: boolean; span: Span }
  | { kind: "expr"; part: Interpolation };

/** Nix's stripIndentation (parser-state.hh), step for step (including its treatment of escapes). */
function stripIndentation(es: RawIndPart[]): StringPart[] {
  if (es.length === 0) return [];
  let atStartOfLine = true;
  let minIndent = 1000000;
  let curIndent = 0;
  for (const e of es) {
    if (e.kind !== "str" || !e.indentation) {
      if (atStartOfLine) {
        atStartOfLine = false;
        if (curIndent < minIndent) minIndent = curIndent;
      }
      continue;
    }
    for (const c of e.value) {
      if (atStartOfLine) {
        if (c === " ") curIndent++;
        else if (c === "\n") curIndent = 0;
        else {
          atStartOfLine = false;
          if (curIndent < minIndent) minIndent = curIndent;
        }
      } else if (c === "\n") {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }

  const out: StringPart[] = [];
  atStartOfLine = true;
  let curDropped = 0;
  let n = es.length;
  for (const e of es) {
    if (e.kind === "expr") {
      atStartOfLine = false;
      curDropped = 0;
      out.push(e.part);
    } else {
      let s2 = "";
      for (const c of e.value) {
        if (atStartOfLine) {
          if (c === " ") {
            if (curDropped++ >= minIndent) s2 += c;
          } else if (c === "\n") {
            curDropped = 0;
            s2 += c;
          } else {
            atStartOfLine = false;
            curDropped = 0;
            s2 += c;
          }
        } else {
          s2 += c;
          if (c === "\n") atStartOfLine = true;
        }
      }
      if (n === 1) {
        const p = s2.lastIndexOf("\n");
        if (p >= 0 && /^ *$/.test(s2.slice(p + 1))) s2 = s2.slice(0, p + 1);
      }
      // Nix ≥ 2.18 drops empty pieces (2.8 kept a leading `"" +`).
      if (s2 !== "") out.push({ kind: "Text", value: s2, span: e.span });
    }
    n--;
  }
  return out;
}

/**
 * Parses one Nix file exactly as current Nix does (`nix-instantiate --parse` of Nix 2.18–2.34
 * accepts the same inputs, without experimental features). Errors carry code "nix-parse" and the position Nix reports.
 */
export function parseNix(source: string, file: string): Result<ParsedFile> {
  const { tokens, comments } = lex(source);
  let expr: Expr;
  try {
    expr = new Parser(tokens, file).parseFile();
  } catch (e) {
    if (e instanceof ParseFailure) return fail(e.diagnostic);
    throw e;
  }
  const deep = tooDeep(expr);
  if (deep) {
    const { line, column } = deep.span.start;
    return fail(diag("nix-too-deep", TOO_DEEP, { file, line, column }, TOO_DEEP_HINT));
  }
  const parsed: ParsedFile = { file, source, expr, comments };
  const tables = attrTables(parsed);
  if (!tables.ok) return tables;
  const scopes = checkScopes(parsed, tables.value);
  if (!scopes.ok) return scopes;
  return ok(parsed);
}

/**
 * The first expression deeper than MAX_NESTING, found without recursion: chains such as
 * `a + b + c …` nest the tree without nesting the parser.
 */
function tooDeep(root: Expr): Expr | null {
  const stack: Array<[Expr, number]> = [[root, 1]];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const [e, depth] = top;
    if (depth > MAX_NESTING) return e;
    forEachChild(e, (c) => stack.push([c, depth + 1]));
  }
  return null;
}

/** The exact source text of a span. */
export function sourceOf(parsed: ParsedFile, span: Span): string {
  return parsed.source.slice(span.start.offset, span.end.offset);
}
