// The static evaluator that decides structure (docs/meta.md): the top-level keys of group.nix and
// inputs.nix, and every definition of os/channel/system in a meta definition, read without
// running Nix. `os` and `channel` choose the flake's inputs, which Nix requires to be literal, so
// anything here that is not plainly visible is an error at its exact place, never a guess.

import { posix } from "node:path";
import type {
  AttrName,
  AttrSet,
  Binding,
  Expr,
  Lambda,
  Let,
  ParsedFile,
  Pos,
  Span,
} from "./ast.js";
import { type Diagnostic, type Location, type Result, diag, fail, ok } from "../errors.js";
import { attrTables, unparen } from "./attrs.js";
import { plainString, staticName } from "./names.js";

export interface StaticBinding {
  name: string;
  loc: Location;
  /**
   * The value expression. For a key built from several bindings (`a.b = 1; a.c = 2;`) this is an
   * attribute set made of those bindings with the first path component removed; for
   * `inherit a;` / `inherit (e) a;` the variable `a` / the selection `e.a`, spanning the name.
   * staticMetaDefs reads these in the file's own scope (its `let`s and a top-level `rec`).
   */
  value: Expr;
}

export interface StaticDef {
  /** A list only for list options (`tags`): each item a literal string. */
  value: string | boolean | number | string[];
  /** Module-system priority: mkForce 50, plain 100, mkDefault 1000, mkOverride N. */
  priority: number;
  loc: Location;
}

const loc = (file: string, p: Pos): Location => ({ file, line: p.line, column: p.column });
const where = (l: Location) => `${l.file}:${l.line}:${l.column}`;

// ───────────────────────────── top-level keys ─────────────────────────────

/** The top-level keys of a file that must be an attribute set (group.nix, inputs.nix). */
/** The scope a value returned by staticAttrSet lives in, for staticMetaDefs. */
interface FileScope {
  lets: Let[];
  rec: AttrSet | null;
}
const SCOPES = new WeakMap<Expr, FileScope>();

export function staticAttrSet(parsed: ParsedFile): Result<StaticBinding[]> {
  let e = unparen(parsed.expr);
  const lets: Let[] = [];
  while (e.kind === "Let") {
    lets.push(e);
    e = unparen(e.body);
  }
  if (e.kind !== "AttrSet") {
    return fail(diag("not-attrset", "expected an attribute set", loc(parsed.file, e.span.start)));
  }
  const tables = attrTables(parsed);
  if (!tables.ok) return tables;
  const table = tables.value.get(e)!;
  const dyn = table.dynamic[0];
  if (dyn) {
    return fail(
      diag(
        "attr-not-static",
        "attribute name is computed; the keys of this file must be literal names",
        loc(parsed.file, dyn.pos),
        'write the name out (`name = …;` or `"name" = …;`)',
      ),
    );
  }
  const out: StaticBinding[] = [];
  const inner: FileScope = { lets, rec: e.rec ? e : null };
  for (const [name, entry] of table.attrs) {
    let value: Expr;
    let scope = inner;
    const bs = entry.bindings;
    const v = entry.value;
    if (v.kind === "inherit") {
      value = { kind: "Var", name, span: v.span };
      scope = { lets, rec: null }; // `inherit a;` looks past a rec set, as in Nix
    } else if (v.kind === "inheritFrom") {
      const n: AttrName = { kind: "Ident", name, span: v.span };
      value = { kind: "Select", expr: v.from, path: [n], default: null, span: v.span };
    } else if (v.kind === "expr" || (bs.length === 1 && isSimple(bs[0]!)))
      value = (bs[0] as Extract<Binding, { kind: "AttrBinding" }>).value;
    else value = synthesize(bs);
    SCOPES.set(value, scope);
    out.push({ name, loc: loc(parsed.file, entry.pos), value });
  }
  return ok(out);
}

function isSimple(b: Binding): boolean {
  return b.kind === "AttrBinding" && b.path.length === 1;
}

/** `a.b = 1; a = { c = 2; };` seen from `a`: the set `{ b = 1; c = 2; }`, made of the originals. */
function synthesize(bs: Binding[]): AttrSet {
  const bindings: Binding[] = [];
  for (const b of bs) {
    if (b.kind !== "AttrBinding") continue;
    if (b.path.length > 1) bindings.push({ ...b, path: b.path.slice(1) });
    else {
      const v = unparen(b.value);
      if (v.kind === "AttrSet") bindings.push(...v.bindings);
    }
  }
  const span: Span = { start: bs[0]!.span.start, end: bs[bs.length - 1]!.span.end };
  return { kind: "AttrSet", rec: false, bindings, span };
}

// ───────────────────────────── static values ─────────────────────────────

const LIB_FNS: Record<string, number> = {
  mkDefault: 1000,
  mkForce: 50,
  mkOptionDefault: 1500,
  mkImageMediaOverride: 60,
  mkVMOverride: 10,
  mkOverride: -1,
  mkIf: -1,
  mkMerge: -1,
};

interface Entry {
  path: AttrName[];
  thunk: Thunk;
  pos: Pos;
  file: string;
}

type SVal =
  | { k: "lit"; value: string | boolean | number | null; loc: Location }
  | { k: "lib" }
  | { k: "args" }
  | { k: "libfn"; name: string; args: Thunk[]; loc: Location }
  | { k: "override"; priority: number; content: Thunk; loc: Location; fn: string }
  /** cond null: not a literal boolean (condWhat says what it is). */
  | { k: "if"; cond: boolean | null; condWhat: string; content: Thunk; loc: Location }
  | { k: "merge"; items: Thunk[]; loc: Location }
  | { k: "attrs"; entries: Entry[]; loc: Location }
  | { k: "list"; items: Thunk[]; loc: Location }
  | { k: "lambda"; expr: Lambda; env: Env; file: string }
  | { k: "path"; path: string; loc: Location }
  /** Not knowable without evaluating Nix. */
  | { k: "opaque"; what: string; loc: Location };

type Thunk = { expr: Expr; env: Env; file: string } | { val: SVal };

type Scope = { kind: "lex"; names: Map<string, Thunk> } | { kind: "with"; value: Thunk };
interface Env {
  scope: Scope | null;
  up: Env | null;
}
const EMPTY: Env = { scope: null, up: null };
const bind = (env: Env, names: Map<string, Thunk>): Env => ({
  scope: { kind: "lex", names },
  up: env,
});

const MAX_DEPTH = 200;

class Evaluator {
  private depth = 0;

  private readonly memo = new WeakMap<Thunk, SVal>();

  force(t: Thunk): SVal {
    if ("val" in t) return t.val;
    const known = this.memo.get(t);
    if (known) return known;
    if (this.depth > MAX_DEPTH) return opaque("a self-referencing value", t.file, t.expr);
    this.depth++;
    try {
      const v = this.eval(t.expr, t.env, t.file);
      this.memo.set(t, v);
      return v;
    } finally {
      this.depth--;
    }
  }

  eval(e: Expr, env: Env, file: string): SVal {
    const at = loc(file, e.span.start);
    switch (e.kind) {
      case "Paren":
        return this.eval(e.expr, env, file);
      case "String": {
        const s = plainString(e);
        return s === null
          ? opaque("string interpolation", file, e)
          : { k: "lit", value: s, loc: at };
      }
      case "Int":
        return { k: "lit", value: Number(e.value), loc: at };
      case "Float":
        return { k: "lit", value: e.value, loc: at };
      case "Uri":
        return { k: "lit", value: e.value, loc: at };
      case "Path":
        if (e.parts.length !== 1 || e.parts[0]!.kind !== "Text")
          return opaque("a path with interpolation", file, e);
        return { k: "path", path: e.parts[0]!.value, loc: at };
      case "Var":
        return this.lookup(e.name, env, file, e);
      case "Select":
        return this.select(e.expr, e.path, e.default, env, file, e);
      case "Let":
        return this.eval(e.body, this.bindBindings(e.bindings, env, file), file);
      case "With":
        return this.eval(
          e.body,
          { scope: { kind: "with", value: { expr: e.scope, env, file } }, up: env },
          file,
        );
      case "AttrSet": {
        const inner = e.rec ? this.bindBindings(e.bindings, env, file) : env;
        return { k: "attrs", entries: this.entries(e.bindings, inner, env, file), loc: at };
      }
      case "List":
        return { k: "list", items: e.items.map((i) => ({ expr: i, env, file })), loc: at };
      case "Lambda":
        return { k: "lambda", expr: e, env, file };
      case "Apply":
        return this.apply(e, env, file);
      case "If":
        return opaque("an if-then-else", file, e);
      case "Binary":
      case "Unary":
        return opaque("an operator expression", file, e);
      default:
        return opaque(`a ${e.kind.toLowerCase()} expression`, file, e);
    }
  }

  private entries(bindings: Binding[], inner: Env, outer: Env, file: string): Entry[] {
    const out: Entry[] = [];
    for (const b of bindings) {
      if (b.kind === "AttrBinding") {
        out.push({
          path: b.path,
          thunk: { expr: b.value, env: inner, file },
          pos: b.path[0]!.span.start,
          file,
        });
        continue;
      }
      for (const n of b.names) {
        const name = staticName(n)!;
        const expr: Expr = b.from
          ? { kind: "Select", expr: b.from, path: [n], default: null, span: n.span }
          : { kind: "Var", name, span: n.span };
        out.push({
          path: [n],
          thunk: { expr, env: b.from ? inner : outer, file },
          pos: n.span.start,
          file,
        });
      }
    }
    return out;
  }

  /** A scope for `let` or `rec`: each name's value, merged over nested paths like Nix does. */
  bindBindings(bindings: Binding[], env: Env, file: string): Env {
    const names = new Map<string, Thunk>();
    const inner = bind(env, names);
    const groups = groupEntries(this.entries(bindings, inner, env, file));
    for (const [name, es] of groups) names.set(name, this.groupThunk(es, file));
    return inner;
  }

  /** The value of one key defined by one or more entries. */
  groupThunk(es: Entry[], file: string): Thunk {
    const first = es[0]!;
    if (es.length === 1 && first.path.length === 1) return first.thunk;
    const entries: Entry[] = [];
    for (const x of es) {
      if (x.path.length > 1) entries.push({ ...x, path: x.path.slice(1) });
      else {
        const v = this.force(x.thunk);
        if (v.k === "attrs") entries.push(...v.entries);
        else return { val: opaque("an attribute defined twice", x.file, null, x.pos) };
      }
    }
    return { val: { k: "attrs", entries, loc: loc(file, first.pos) } };
  }

  attr(v: SVal & { k: "attrs" }, name: string): SVal | null {
    const es = v.entries.filter((x) => staticName(x.path[0]!) === name);
    if (es.length === 0) return null;
    return this.force(this.groupThunk(es, es[0]!.file));
  }

  private lookup(name: string, env: Env, file: string, e: Expr): SVal {
    const at = loc(file, e.span.start);
    const withs: Thunk[] = [];
    for (let s: Env | null = env; s; s = s.up) {
      if (!s.scope) continue;
      if (s.scope.kind === "with") withs.push(s.scope.value);
      else if (s.scope.names.has(name)) {
        const t = s.scope.names.get(name)!;
        const v = this.force(t);
        // An unknown function argument is reported where it is used.
        return "val" in t && v.k === "opaque" ? { ...v, loc: at } : v;
      }
    }
    if (name === "true" || name === "false") return { k: "lit", value: name === "true", loc: at };
    if (name === "null") return { k: "lit", value: null, loc: at };
    for (const w of withs) {
      const v = this.force(w);
      if (v.k === "lib" && name in LIB_FNS) return { k: "libfn", name, args: [], loc: at };
      if (v.k === "attrs") {
        const a = this.attr(v, name);
        if (a) return a;
      }
    }
    return opaque(`the variable \`${name}\``, file, e);
  }

  private select(
    target: Expr,
    path: AttrName[],
    def: Expr | null,
    env: Env,
    file: string,
    e: Expr,
  ): SVal {
    let v = this.eval(target, env, file);
    for (const n of path) {
      const name = staticName(n);
      if (name === null) return opaque("a computed attribute name", file, e);
      if (v.k === "args")
        v = name === "lib" ? { k: "lib" } : opaque(`the argument \`${name}\``, file, e);
      else if (v.k === "lib") {
        if (name === "modules") continue;
        v =
          name in LIB_FNS
            ? { k: "libfn", name, args: [], loc: loc(file, e.span.start) }
            : opaque(`lib.${name}`, file, e);
      } else if (v.k === "attrs") {
        const a = this.attr(v, name);
        if (a === null)
          return def
            ? this.eval(def, env, file)
            : opaque(`a missing attribute \`${name}\``, file, e);
        v = a;
      } else if (v.k === "opaque") return v;
      else return opaque(`a selection from a ${v.k}`, file, e);
    }
    return v;
  }

  private apply(e: Expr & { kind: "Apply" }, env: Env, file: string): SVal {
    const fn = this.eval(e.fn, env, file);
    if (fn.k !== "libfn") {
      const u = unparen(e.fn);
      const what =
        u.kind === "Var" && u.name === "import"
          ? "an import"
          : fn.k === "opaque"
            ? `a call of ${fn.what}`
            : "a function call";
      return opaque(what, file, e);
    }
    const args = [...fn.args, { expr: e.arg, env, file }];
    const at = fn.loc;
    const fixed = LIB_FNS[fn.name]!;
    if (fixed > 0)
      return { k: "override", priority: fixed, content: args[0]!, loc: at, fn: `lib.${fn.name}` };
    if (fn.name === "mkMerge") {
      const list = this.force(args[0]!);
      if (list.k !== "list")
        return opaque("lib.mkMerge of something that is not a literal list", file, e);
      return { k: "merge", items: list.items, loc: at };
    }
    if (args.length < 2) return { ...fn, args };
    const first = this.force(args[0]!);
    if (fn.name === "mkOverride") {
      if (first.k !== "lit" || typeof first.value !== "number")
        return opaque("lib.mkOverride with a priority that is not a literal number", file, e);
      return {
        k: "override",
        priority: first.value,
        content: args[1]!,
        loc: at,
        fn: `lib.mkOverride ${first.value}`,
      };
    }
    // mkIf
    if (first.k !== "lit" || typeof first.value !== "boolean") {
      const what = first.k === "opaque" ? first.what : `a ${first.k}`;
      return { k: "if", cond: null, condWhat: what, content: args[1]!, loc: at };
    }
    return { k: "if", cond: first.value, condWhat: "", content: args[1]!, loc: at };
  }
}

function svalLoc(v: SVal): Location | undefined {
  if (v.k === "lib" || v.k === "args") return undefined;
  if (v.k === "lambda") return loc(v.file, v.expr.span.start);
  return v.loc;
}

function opaque(what: string, file: string, e: Expr | null, p?: Pos): SVal {
  return { k: "opaque", what, loc: loc(file, e ? e.span.start : p!) };
}

function groupEntries(entries: Entry[]): Map<string, Entry[]> {
  const groups = new Map<string, Entry[]>();
  for (const x of entries) {
    const name = staticName(x.path[0]!);
    if (name === null) continue;
    const g = groups.get(name);
    if (g) g.push(x);
    else groups.set(name, [x]);
  }
  return groups;
}

// ───────────────────────────── meta definitions ─────────────────────────────

const WHY =
  "os and channel choose the flake's inputs, which Nix requires to be literal, so they must be known without evaluating Nix";
const FIX =
  'write a literal string, e.g. os = "nixos"; or channel = lib.mkDefault "unstable"; (lib.mkDefault, lib.mkForce and lib.mkOverride N are fine)';

/** Options read as a literal list of strings (merged by concatenation, as listOf does). */
const LIST_OPTIONS = new Set(["tags"]);
const LIST_WHY =
  'the runner selects @tag without evaluating Nix, so tags must be literal: write e.g. tags = [ "web" "eu" ]; (lib.mkDefault/lib.mkForce around it are fine)';

/** Module attributes that are not config in shorthand modules (lib/modules.nix). */
const MODULE_KEYS = new Set([
  "_class",
  "_file",
  "key",
  "disabledModules",
  "imports",
  "options",
  "config",
  "meta",
  "freeformType",
]);

type Wrapper = Extract<SVal, { k: "override" | "if" }>;

class MetaReader {
  readonly defs: Record<string, StaticDef[]> = {};
  readonly errors: Diagnostic[] = [];
  private readonly ev = new Evaluator();
  private readonly seenFiles = new Set<string>();

  constructor(
    private readonly options: readonly string[],
    private readonly load?: (path: string) => Result<ParsedFile>,
  ) {
    for (const o of options) this.defs[o] = [];
  }

  /** The environment a group.nix value sees: the file's `let`s and a top-level `rec`. */
  scopeOf(expr: Expr, file: string): Env {
    const scope = SCOPES.get(expr);
    let env = EMPTY;
    if (!scope) return env;
    for (const l of scope.lets) env = this.ev.bindBindings(l.bindings, env, file);
    if (scope.rec) env = this.ev.bindBindings(scope.rec.bindings, env, file);
    return env;
  }

  private opts() {
    return this.options.join("/");
  }

  private cannotSee(v: SVal & { k: "opaque" }, context: string) {
    this.errors.push(
      diag(
        "meta-not-static",
        `cannot see whether ${context} sets ${this.opts()}: it is ${v.what}`,
        v.loc,
        `${WHY}; write the definition as an attribute set (or a function returning one) here`,
      ),
    );
  }

  /** One meta definition: a module in any of its forms. */
  module(t: Thunk, context: string): void {
    let v = this.ev.force(t);
    if (v.k === "lambda") v = this.call(v);
    if (v.k === "opaque") return this.cannotSee(v, context);
    // A module that is itself lib.mkMerge/mkIf/mkOverride is a shorthand module whose whole
    // config carries the property.
    if (v.k === "merge" || v.k === "if" || v.k === "override") return this.config({ val: v }, []);
    if (v.k !== "attrs") {
      const l = svalLoc(v);
      this.errors.push(
        diag(
          "meta-not-static",
          `a meta definition must be an attribute set or a function returning one, not a ${v.k === "lit" ? typeof v.value : v.k}`,
          l ?? undefined,
          FIX,
        ),
      );
      return;
    }
    const groups = groupEntries(v.entries);
    const full = groups.has("config") || groups.has("options");
    for (const x of v.entries) {
      if (staticName(x.path[0]!) === null) {
        this.errors.push(
          diag(
            "meta-not-static",
            `a computed attribute name here could be one of ${this.opts()}`,
            loc(x.file, x.pos),
            `${WHY}; write attribute names out`,
          ),
        );
      }
    }
    for (const [name, es] of groups) {
      if (name === "imports") this.imports(this.ev.force(this.ev.groupThunk(es, es[0]!.file)));
      else if (full) {
        if (name === "config") this.config(this.ev.groupThunk(es, es[0]!.file), []);
      } else if (!MODULE_KEYS.has(name)) this.option(name, es, []);
    }
  }

  /** Meta functions are called with lib (and lib', inputs, nodes, …): only `lib` is known. */
  private call(f: SVal & { k: "lambda" }): SVal {
    const names = new Map<string, Thunk>();
    const l = f.expr;
    const at = loc(f.file, l.span.start);
    for (const formal of l.formals?.formals ?? []) {
      names.set(formal.name, {
        val:
          formal.name === "lib"
            ? { k: "lib" }
            : { k: "opaque", what: `the argument \`${formal.name}\``, loc: at },
      });
    }
    // `args: …` and `{ lib, ... }@args: …` alike: args.lib is lib, anything else is unknown.
    if (l.arg !== null) names.set(l.arg, { val: { k: "args" } });
    return this.ev.eval(l.body, bind(f.env, names), f.file);
  }

  private imports(v: SVal): void {
    if (v.k === "opaque") return this.cannotSee(v, "this imports list");
    if (v.k !== "list") {
      this.errors.push(diag("meta-not-static", "imports must be a literal list", svalLoc(v), FIX));
      return;
    }
    for (const item of v.items) {
      const m = this.ev.force(item);
      if (m.k === "path") {
        if (!this.load) {
          this.errors.push(
            diag(
              "meta-not-static",
              `cannot follow the import of ${m.path} here`,
              m.loc,
              `${WHY}; set them outside imported files`,
            ),
          );
          continue;
        }
        const target =
          m.path.startsWith("/") || m.path.startsWith("~")
            ? m.path
            : posix.normalize(posix.join(posix.dirname(m.loc.file), m.path));
        if (this.seenFiles.has(target)) continue;
        this.seenFiles.add(target);
        const parsed = this.load(target);
        if (!parsed.ok) {
          this.errors.push(...parsed.errors);
          continue;
        }
        this.module(
          { expr: parsed.value.expr, env: EMPTY, file: parsed.value.file },
          `the imported file ${target}`,
        );
      } else this.module({ val: m }, "this imported module");
    }
  }

  /** A config value, under the mkIf/mkOverride wrappers around it (pushDownProperties). */
  private config(t: Thunk, wrappers: Wrapper[]): void {
    const v = this.ev.force(t);
    switch (v.k) {
      case "merge":
        for (const i of v.items) this.config(i, wrappers);
        return;
      case "if":
        if (v.cond === null) {
          // Fine as long as nothing under it is one of our options.
          const inner = this.ev.force(v.content);
          const mentions =
            inner.k === "attrs" &&
            inner.entries.every((x) => {
              const n = staticName(x.path[0]!);
              return n !== null && !this.options.includes(n);
            });
          if (!mentions) this.unknownCondition(v);
          return;
        }
        // `mkIf false` defines nothing, unless a priority outside it makes the module system
        // see the mkIf itself as the value (an error the leaf reports).
        if (!v.cond && !wrappers.some((w) => w.k === "override")) return;
        this.config(v.content, [...wrappers, v]);
        return;
      case "override":
        this.config(v.content, [...wrappers, v]);
        return;
      case "attrs": {
        for (const x of v.entries)
          if (staticName(x.path[0]!) === null)
            this.errors.push(
              diag(
                "meta-not-static",
                `a computed attribute name here could be one of ${this.opts()}`,
                loc(x.file, x.pos),
                WHY,
              ),
            );
        for (const [name, es] of groupEntries(v.entries)) this.option(name, es, wrappers);
        return;
      }
      case "opaque":
        return this.cannotSee(v, "this config");
      default:
        this.errors.push(
          diag("meta-not-static", "config must be an attribute set", svalLoc(v), FIX),
        );
    }
  }

  private option(name: string, es: Entry[], wrappers: Wrapper[]): void {
    if (!this.options.includes(name)) return;
    for (const x of es) {
      if (x.path.length > 1) {
        this.errors.push(
          diag(
            "meta-not-static",
            `${name} is a string option, not an attribute set`,
            loc(x.file, x.path[1]!.span.start),
            FIX,
          ),
        );
        continue;
      }
      this.leaf(name, x.thunk, wrappers);
    }
  }

  /**
   * What the module system does to a leaf definition: dischargeProperties unwraps mkMerge and
   * mkIf, filterOverrides' takes one mkOverride layer, and what remains must be the value. The
   * wrappers pushed down from the config level sit outside the value's own.
   */
  private leaf(name: string, t: Thunk, outer: Wrapper[]): void {
    let state: { priority: number; fn: string } | null = null;
    for (const w of outer) {
      if (w.k === "if") {
        if (state) return this.nested(name, "lib.mkIf", state.fn, w.loc);
        if (w.cond === null) return this.unknownCondition(w, name);
        if (!w.cond) return;
      } else {
        if (state) return this.nested(name, w.fn, state.fn, w.loc);
        state = { priority: w.priority, fn: w.fn };
      }
    }
    this.leafValue(name, this.ev.force(t), state?.priority ?? null, state?.fn ?? "");
  }

  private leafValue(name: string, v: SVal, priority: number | null, overrideFn: string): void {
    switch (v.k) {
      case "lit":
        if (v.value === null) {
          this.errors.push(diag("meta-not-static", `${name} is null`, v.loc, FIX));
          return;
        }
        this.defs[name]!.push({ value: v.value, priority: priority ?? 100, loc: v.loc });
        return;
      case "list": {
        if (!LIST_OPTIONS.has(name)) break;
        const items: string[] = [];
        for (const t of v.items) {
          const item = this.ev.force(t);
          if (item.k !== "lit" || typeof item.value !== "string") {
            this.errors.push(
              diag(
                "meta-not-static",
                `${name} must be a list of literal strings`,
                svalLoc(item) ?? v.loc,
                `the runner selects @tag without evaluating Nix; write e.g. ${name} = [ "web" "eu" ];`,
              ),
            );
            return;
          }
          items.push(item.value);
        }
        this.defs[name]!.push({ value: items, priority: priority ?? 100, loc: v.loc });
        return;
      }
      case "merge":
        if (priority !== null) return this.nested(name, "lib.mkMerge", overrideFn, v.loc);
        for (const i of v.items) this.leafValue(name, this.ev.force(i), null, "");
        return;
      case "if":
        if (priority !== null) return this.nested(name, "lib.mkIf", overrideFn, v.loc);
        if (v.cond === null) return this.unknownCondition(v, name);
        if (v.cond) this.leafValue(name, this.ev.force(v.content), null, "");
        return;
      case "override":
        if (priority !== null) return this.nested(name, v.fn, overrideFn, v.loc);
        this.leafValue(name, this.ev.force(v.content), v.priority, v.fn);
        return;
      case "opaque":
        this.errors.push(
          diag(
            "meta-not-static",
            `${name} must be a literal ${LIST_OPTIONS.has(name) ? "list of strings" : "string"}, but here it is ${v.what}`,
            v.loc,
            LIST_OPTIONS.has(name) ? LIST_WHY : `${WHY}; ${FIX}`,
          ),
        );
        return;
    }
    if (LIST_OPTIONS.has(name))
      this.errors.push(
        diag("meta-not-static", `${name} must be a list of literal strings`, svalLoc(v), LIST_WHY),
      );
    else
      this.errors.push(
        diag("meta-not-static", `${name} must be a literal string`, svalLoc(v), `${WHY}; ${FIX}`),
      );
  }

  private unknownCondition(v: Extract<SVal, { k: "if" }>, name?: string): void {
    this.errors.push(
      diag(
        "meta-not-static",
        `lib.mkIf here decides ${name ?? `whether ${this.opts()} are set`}, but its condition is ${v.condWhat}, not literally true or false`,
        v.loc,
        `${WHY}; move ${name ?? "those definitions"} out of the lib.mkIf`,
      ),
    );
  }

  private nested(name: string, inner: string, outer: string, at: Location): void {
    this.errors.push(
      diag(
        "meta-not-static",
        `${inner} inside ${outer} for ${name}: the module system takes the outer priority and then rejects the inner ${inner} as a value that is not a string`,
        at,
        "use a single priority wrapper, with lib.mkIf and lib.mkMerge outside it",
      ),
    );
  }
}

/**
 * Every definition of the named top-level options in one meta definition (a node.nix's root
 * expression or one group.nix attribute value), with its priority and place.
 */
export function staticMetaDefs(
  expr: Expr,
  file: string,
  options: readonly string[],
  load?: (path: string) => Result<ParsedFile>,
): Result<Record<string, StaticDef[]>> {
  const reader = new MetaReader(options, load);
  reader.module({ expr, env: reader.scopeOf(expr, file), file }, "this definition");
  if (reader.errors.length) return fail(...reader.errors);
  return ok(reader.defs);
}

/**
 * The module system's choice among definitions: the lowest priority number wins; definitions
 * at the winning priority must agree. null when there are none.
 */
export function resolveStatic(option: string, defs: StaticDef[]): Result<StaticDef | null> {
  if (defs.length === 0) return ok(null);
  const best = Math.min(...defs.map((d) => d.priority));
  const winners = defs.filter((d) => d.priority === best);
  const first = winners[0]!;
  const other = winners.find((d) => d.value !== first.value);
  if (other) {
    return fail(
      diag(
        "meta-conflict",
        `conflicting definitions of ${option}: ${JSON.stringify(first.value)} at ${where(first.loc)} and ${JSON.stringify(other.value)} at ${where(other.loc)} (both priority ${best})`,
        other.loc,
        `make them equal, remove one, or give one precedence with lib.mkForce / lib.mkDefault`,
      ),
    );
  }
  return ok(first);
}
