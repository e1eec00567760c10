// Compares our rendering of a file with `nix-instantiate --parse`'s. Nix versions print the same
// tree differently (2.8 printed `let` bindings and formals in symbol-pointer order and `inherit a ;`;
// 2.18+ sort them and group `inherit a b;` first), so when the texts differ both are re-parsed
// and re-printed in one canonical form before deciding: like is compared with like, whatever Nix
// is on PATH.

import { parseNix } from "../../generator/nix/parse.js";
import { type ShowOptions, showLikeNix } from "../../generator/nix/show.js";

export type AstVerdict = "equal" | "equal-modulo-order" | "different" | "inconclusive";

/**
 * Nix prints resolved paths bare (`/abs/dir/`, `(/ + x)`), which do not always re-parse; both
 * sides get them replaced by equal string placeholders before re-parsing.
 */
export function quotePaths(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && (i === 0 || " ([".includes(text[i - 1]!)) && text[i + 1] !== "/") {
      let j = i;
      while (j < text.length && !" ()[];,".includes(text[j]!)) j++;
      out += JSON.stringify(`<path ${text.slice(i, j)}>`).replace(/\$/g, "\\$");
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export function compareShown(ours: string, nix: string, opts: ShowOptions): AstVerdict {
  if (ours === nix) return "equal";
  const a = parseNix(quotePaths(ours), "ours.nix");
  const b = parseNix(quotePaths(nix), "nix.nix");
  // Nix prints `assert` unparenthesised, which does not always re-parse.
  if (!a.ok || !b.ok) return "inconclusive";
  const canon = { ...opts, canonicalOrder: true };
  return showLikeNix(a.value, canon) === showLikeNix(b.value, canon)
    ? "equal-modulo-order"
    : "different";
}
