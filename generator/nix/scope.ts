// Nix's bindVars: every variable must be bound by a lambda, `let`, `rec` set or the base
// environment, unless some enclosing `with` might provide it. Nix checks this while parsing a
// file, so `nix-instantiate --parse` rejects `x: y` with "undefined variable 'y'".

import type { Expr, ParsedFile } from "./ast.js";
import { type Result, diag, fail, ok } from "../errors.js";
import { type AttrTable, type AttrValue, type BindsOwner, forEachChild } from "./attrs.js";
import { BASE_ENV } from "./base-env.js";

interface Env {
  /** null for a `with` scope. */
  names: ReadonlySet<string> | null;
  up: Env | null;
}

class Undefined extends Error {
  constructor(
    readonly variable: string,
    readonly expr: Expr,
  ) {
    super(variable);
  }
}

export function checkScopes(parsed: ParsedFile, tables: Map<BindsOwner, AttrTable>): Result<void> {
  const base: Env = { names: BASE_ENV, up: null };

  const lookup = (name: string, env: Env, at: Expr) => {
    let withSeen = false;
    for (let e: Env | null = env; e; e = e.up) {
      if (e.names === null) withSeen = true;
      else if (e.names.has(name)) return;
    }
    if (!withSeen) throw new Undefined(name, at);
  };

  const bindValue = (v: AttrValue, env: Env, name: string) => {
    switch (v.kind) {
      case "expr":
        return visit(v.expr, env);
      case "attrs":
        return bindTable(v.table, env);
      case "inherit":
        return lookup(name, env, { kind: "Var", name, span: v.span });
      case "inheritFrom":
        return visit(v.from, env);
    }
  };

  const bindTable = (t: AttrTable, env: Env) => {
    const inner: Env = t.rec ? { names: new Set(t.attrs.keys()), up: env } : env;
    for (const [name, a] of t.attrs)
      bindValue(a.value, a.value.kind === "inherit" ? env : inner, name);
    for (const d of t.dynamic) {
      if (d.name.kind === "String") visit(d.name.string, inner);
      else if (d.name.kind === "Dynamic") visit(d.name.expr, inner);
      bindValue(d.value, inner, "");
    }
  };

  const visit = (e: Expr, env: Env): void => {
    switch (e.kind) {
      case "Var":
        if (e.name !== "__curPos") lookup(e.name, env, e);
        return;
      case "AttrSet":
      case "LegacyLet":
        return bindTable(tables.get(e)!, env);
      case "Let": {
        const t = tables.get(e)!;
        const inner: Env = { names: new Set(t.attrs.keys()), up: env };
        for (const [name, a] of t.attrs)
          bindValue(a.value, a.value.kind === "inherit" ? env : inner, name);
        return visit(e.body, inner);
      }
      case "Lambda": {
        const names = new Set<string>();
        if (e.arg !== null) names.add(e.arg);
        for (const f of e.formals?.formals ?? []) names.add(f.name);
        const inner: Env = { names, up: env };
        for (const f of e.formals?.formals ?? []) if (f.default) visit(f.default, inner);
        return visit(e.body, inner);
      }
      case "With":
        visit(e.scope, env);
        return visit(e.body, { names: null, up: env });
      default:
        forEachChild(e, (c) => visit(c, env));
    }
  };

  try {
    visit(parsed.expr, base);
  } catch (err) {
    if (err instanceof Undefined) {
      const p = err.expr.span.start;
      return fail(
        diag(
          "nix-parse",
          `undefined variable '${err.variable}'`,
          { file: parsed.file, line: p.line, column: p.column },
          moduleArgHint(parsed.expr, err.variable),
        ),
      );
    }
    throw err;
  }
  return ok(undefined);
}

/** The arguments the module system (and nixverse-gen) passes to every module. */
const MODULE_ARGS = new Set([
  "lib",
  "config",
  "options",
  "pkgs",
  "modulesPath",
  "specialArgs",
  "osConfig",
  "nodes",
  "inputs",
  "modules'",
  "lib'",
  "pkgs'",
]);

/**
 * `lib.mkDefault` in a module that takes no arguments is the classic slip: say how to take it.
 * Other names get no hint: they are plain typos or missing `let` bindings.
 */
function moduleArgHint(top: Expr, name: string): string | undefined {
  if (!MODULE_ARGS.has(name)) return undefined;
  if (top.kind === "Lambda" && top.formals)
    return `add ${name} to the file's arguments: { ${name}, ... }:`;
  if (top.kind === "Lambda") return undefined;
  return `add { ${name}, ... }: as the file's first line, so the module receives ${name}`;
}
