// Static attribute names: when Nix treats a name expression as a fixed string.

import type { AttrName, Expr, StringLit } from "./ast.js";

/**
 * Nix treats `"a"`, `${"a"}` and `${("a")}` as the static name `a`: the name expression is
 * static when it parses to a plain string (no interpolation), whatever wraps it.
 */
export function staticName(n: AttrName): string | null {
  if (n.kind === "Ident") return n.name;
  if (n.kind === "String") return plainString(n.string);
  return plainStringExpr(n.expr);
}
export function plainString(s: StringLit): string | null {
  if (s.parts.length === 0) return "";
  // A non-indented string with several parts is a concatenation even if all are text; an
  // indented one is a single string only when stripping left exactly one text part.
  if (s.parts.length === 1 && s.parts[0]!.kind === "Text") return s.parts[0]!.value;
  return null;
}
function plainStringExpr(e: Expr): string | null {
  if (e.kind === "Paren") return plainStringExpr(e.expr);
  if (e.kind === "String") return plainString(e);
  if (e.kind === "Uri") return e.value;
  return null;
}
