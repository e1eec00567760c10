// The Nix AST. Every node carries its source span so errors can point at file:line:col and so
// spans of the original text (comments included) can be spliced verbatim.

export interface Pos {
  /** 0-based offset into the source string (UTF-16 code units). */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units). */
  column: number;
}

export interface Span {
  start: Pos;
  /** Exclusive. */
  end: Pos;
}

interface Node {
  span: Span;
}

/** A part of a string or path: literal text (escapes already decoded) or an interpolation. */
export type StringPart = { kind: "Text"; value: string; span: Span } | Interpolation;
export interface Interpolation extends Node {
  kind: "Interpolation";
  expr: Expr;
}

export interface IntLit extends Node {
  kind: "Int";
  /** bigint: Nix integers are 64-bit. */
  value: bigint;
}
export interface FloatLit extends Node {
  kind: "Float";
  value: number;
  /** The literal as written. */
  raw: string;
}
export interface StringLit extends Node {
  kind: "String";
  /** `''…''` when true. Indentation already stripped from the Text parts, as Nix does. */
  indented: boolean;
  /**
   * As Nix splits them: in an indented string each escape (`''$`, `'''`, `''\n`) is its own Text
   * part and empty Text parts can remain, so join adjacent Text parts to get the value. `""` and
   * `''''` have no parts.
   */
  parts: StringPart[];
}
export interface PathLit extends Node {
  kind: "Path";
  /** Relative (`./a`, `../a`, `a/b`), absolute (`/a`) or home (`~/a`); parts allow `./a/${b}`. */
  /** The first part is the path text as written (`./a/` in `./a/${b}`), not resolved. */
  parts: StringPart[];
}
export interface SearchPath extends Node {
  kind: "SearchPath";
  /** The text between `<` and `>`. */
  path: string;
}
export interface UriLit extends Node {
  kind: "Uri";
  value: string;
}
export interface Var extends Node {
  kind: "Var";
  name: string;
}

/** One component of an attribute path: `a`, `"a${b}"` or `${e}`. */
export type AttrName =
  | { kind: "Ident"; name: string; span: Span }
  | { kind: "String"; string: StringLit; span: Span }
  | { kind: "Dynamic"; expr: Expr; span: Span };

export interface Select extends Node {
  kind: "Select";
  expr: Expr;
  path: AttrName[];
  /** `e.a or d` */
  default: Expr | null;
}
export interface HasAttr extends Node {
  kind: "HasAttr";
  expr: Expr;
  path: AttrName[];
}

export type Binding = AttrBinding | Inherit;
export interface AttrBinding extends Node {
  kind: "AttrBinding";
  path: AttrName[];
  value: Expr;
}
export interface Inherit extends Node {
  kind: "Inherit";
  /** `inherit (from) a b;` */
  from: Expr | null;
  names: AttrName[];
}

export interface AttrSet extends Node {
  kind: "AttrSet";
  rec: boolean;
  bindings: Binding[];
}
export interface List extends Node {
  kind: "List";
  items: Expr[];
}
export interface Let extends Node {
  kind: "Let";
  bindings: Binding[];
  body: Expr;
}
/** The deprecated `let { a = 1; body = a; }`. */
export interface LegacyLet extends Node {
  kind: "LegacyLet";
  bindings: Binding[];
}
export interface With extends Node {
  kind: "With";
  scope: Expr;
  body: Expr;
}
export interface Assert extends Node {
  kind: "Assert";
  cond: Expr;
  body: Expr;
}
export interface If extends Node {
  kind: "If";
  cond: Expr;
  then: Expr;
  else: Expr;
}

export interface Formal {
  name: string;
  default: Expr | null;
  span: Span;
}
export interface Formals {
  formals: Formal[];
  /** `...` present */
  ellipsis: boolean;
  span: Span;
}
export interface Lambda extends Node {
  kind: "Lambda";
  /** `x: …` or `{ … } @ x: …` / `x @ { … }: …` */
  arg: string | null;
  /** `{ a, b ? 1, ... }: …`; null for a plain `x: …` */
  formals: Formals | null;
  body: Expr;
}
export interface Apply extends Node {
  kind: "Apply";
  fn: Expr;
  arg: Expr;
}

export type UnaryOp = "!" | "-";
export interface Unary extends Node {
  kind: "Unary";
  op: UnaryOp;
  expr: Expr;
}

export type BinaryOp =
  "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "->" | "//" | "++" | "+" | "-" | "*" | "/";
export interface Binary extends Node {
  kind: "Binary";
  op: BinaryOp;
  lhs: Expr;
  rhs: Expr;
}

/** Parentheses are kept so spans and re-printing stay faithful. */
export interface Paren extends Node {
  kind: "Paren";
  expr: Expr;
}

export type Expr =
  | IntLit
  | FloatLit
  | StringLit
  | PathLit
  | SearchPath
  | UriLit
  | Var
  | Select
  | HasAttr
  | AttrSet
  | List
  | Let
  | LegacyLet
  | With
  | Assert
  | If
  | Lambda
  | Apply
  | Unary
  | Binary
  | Paren;

export interface Comment {
  /** `#…` to end of line, or a block comment. */
  kind: "Line" | "Block";
  /** The comment text including its delimiters. */
  text: string;
  span: Span;
}

export interface ParsedFile {
  /** As given to the parser; used in error locations. */
  file: string;
  source: string;
  expr: Expr;
  /** Every comment in source order. */
  comments: Comment[];
}
