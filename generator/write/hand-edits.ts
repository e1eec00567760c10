// What a hand edit of the generated flake.nix changed in its inputs, for the refusal message.

import type { Expr } from "../nix/ast.js";
import { staticName } from "../nix/names.js";
import { parseNix, sourceOf } from "../nix/parse.js";

/** Input name → its definition's source text (whitespace-normalised); null when unparsable. */
export function flakeInputs(text: string): Map<string, string> | null {
  const parsed = parseNix(text, "flake.nix");
  if (!parsed.ok) return null;
  let top: Expr = parsed.value.expr;
  while (top.kind === "Paren") top = top.expr;
  if (top.kind !== "AttrSet") return null;
  const out = new Map<string, string>();
  const add = (name: string | null, def: string) => {
    if (name === null) return;
    const norm = def.replace(/\s+/g, " ").trim();
    out.set(name, out.has(name) ? `${out.get(name)} ${norm}` : norm);
  };
  for (const b of top.bindings) {
    if (b.kind !== "AttrBinding" || staticName(b.path[0]!) !== "inputs") continue;
    // inputs.<name>…= v;
    if (b.path.length > 1) {
      const rest = b.path.slice(2).map((p) => staticName(p) ?? "?");
      add(staticName(b.path[1]!), `${rest.join(".")}=${sourceOf(parsed.value, b.value.span)}`);
      continue;
    }
    let v: Expr = b.value;
    while (v.kind === "Paren") v = v.expr;
    if (v.kind !== "AttrSet") continue;
    for (const i of v.bindings) {
      if (i.kind !== "AttrBinding") continue;
      const rest = i.path.slice(1).map((p) => staticName(p) ?? "?");
      add(staticName(i.path[0]!), `${rest.join(".")}=${sourceOf(parsed.value, i.value.span)}`);
    }
  }
  return out;
}

/** Inputs the hand-edited flake has that the new one lacks, or defines differently. */
export function editedInputs(
  edited: string,
  generated: string,
): { added: string[]; changed: string[] } {
  const mine = flakeInputs(edited) ?? new Map<string, string>();
  const ours = flakeInputs(generated) ?? new Map<string, string>();
  const added = [...mine.keys()].filter((n) => !ours.has(n)).sort();
  const changed = [...mine.keys()].filter((n) => ours.has(n) && ours.get(n) !== mine.get(n)).sort();
  return { added, changed };
}
