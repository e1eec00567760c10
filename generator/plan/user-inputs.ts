// inputs.nix: the user's own flake inputs, spliced verbatim (comments kept) into flake.nix,
// because flake inputs must be literal. We only need their names and the text between the braces.

import type { Diagnostic, Result } from "../errors.js";
import { diag, fail, ok } from "../errors.js";
import type { Expr, ParsedFile } from "../nix/ast.js";

/** A string without interpolation, or null. */
function literal(e: Expr): string | null {
  if (e.kind !== "String" || !e.parts.every((p) => p.kind === "Text")) return null;
  return e.parts.map((p) => (p.kind === "Text" ? p.value : "")).join("");
}

const isUrlKey = (path: { kind: string; name?: string }[]) =>
  path.length === 1 && path[0]!.kind === "Ident" && path[0]!.name === "url";

export interface UserInputs {
  file: string;
  names: string[];
  /** The literal `url` of each input that has one (`x.url = "…";` or `x = { url = "…"; … };`). */
  urls: Record<string, string>;
  /** Comments above the opening brace. */
  header: string;
  /** The file's text between the outer braces, verbatim. */
  inner: string;
}

export function readUserInputs(parsed: ParsedFile): Result<UserInputs> {
  let expr = parsed.expr;
  while (expr.kind === "Paren") expr = expr.expr;
  const file = parsed.file;
  const at = (s: { start: { line: number; column: number } }) => ({
    file,
    line: s.start.line,
    column: s.start.column,
  });
  if (expr.kind !== "AttrSet" || expr.rec) {
    return fail(
      diag(
        "inputs-not-attrset",
        "inputs.nix must be a plain attribute set of flake inputs",
        at(expr.span),
        'write it in flake-input syntax, e.g. { nixvim-unstable.url = "github:nix-community/nixvim"; }: flake inputs must be literal, so functions, let and rec cannot be spliced',
      ),
    );
  }
  const errors: Diagnostic[] = [];
  const names = new Set<string>();
  const urls: Record<string, string> = {};
  for (const b of expr.bindings) {
    if (b.kind === "Inherit") {
      errors.push(
        diag("inputs-inherit", "inputs.nix cannot use inherit", at(b.span), "write each input out"),
      );
      continue;
    }
    const first = b.path[0]!;
    let name: string | null = null;
    if (first.kind === "Ident") name = first.name;
    else if (first.kind === "String" && first.string.parts.every((p) => p.kind === "Text")) {
      name = first.string.parts.map((p) => (p.kind === "Text" ? p.value : "")).join("");
    }
    if (name === null) {
      errors.push(
        diag("inputs-dynamic", "input names in inputs.nix must be literal", at(first.span)),
      );
      continue;
    }
    if (name === "self") {
      errors.push(
        diag(
          "inputs-self",
          "an input cannot be called self",
          at(first.span),
          "for inputs.self.submodules = true, set `submodules: true` in nixverse.yaml",
        ),
      );
      continue;
    }
    names.add(name);
    let url: string | null = null;
    if (isUrlKey(b.path.slice(1))) url = literal(b.value);
    else if (b.path.length === 1 && b.value.kind === "AttrSet") {
      const u = b.value.bindings.find((x) => x.kind === "AttrBinding" && isUrlKey(x.path));
      if (u?.kind === "AttrBinding") url = literal(u.value);
    }
    if (url !== null) urls[name] = url;
  }
  if (errors.length) return fail(...errors);
  const src = parsed.source;
  const open = expr.span.start.offset;
  const close = expr.span.end.offset;
  return ok({
    file,
    names: [...names].sort(),
    urls,
    header: src.slice(0, open),
    inner: src.slice(open + 1, close - 1),
  });
}

/** Re-indents a block of Nix text to `indent` spaces, keeping relative indentation. */
export function reindent(text: string, indent: number): string {
  const lines = text.replace(/\t/g, "  ").split("\n");
  while (lines.length && lines[0]!.trim() === "") lines.shift();
  while (lines.length && lines[lines.length - 1]!.trim() === "") lines.pop();
  const widths = lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
  const common = widths.length ? Math.min(...widths) : 0;
  const pad = " ".repeat(indent);
  return lines.map((l) => (l.trim() ? pad + l.slice(common).trimEnd() : "")).join("\n");
}
