// Compares our rendering of a file with `nix-instantiate --parse`'s. Nix prints `let` bindings
// and formals in symbol-pointer order, so when the texts differ but hold the same characters,
// both are re-parsed and re-printed in name order before deciding.

import { parseNix } from "../../generator/nix/parse.js";
import { type ShowOptions, showLikeNix } from "../../generator/nix/show.js";

export type AstVerdict = "equal" | "equal-modulo-order" | "different" | "inconclusive";

const sortedChars = (s: string) => [...s].sort().join("");

export function compareShown(ours: string, nix: string, opts: ShowOptions): AstVerdict {
  if (ours === nix) return "equal";
  if (ours.length !== nix.length || sortedChars(ours) !== sortedChars(nix)) return "different";
  const a = parseNix(ours, "ours.nix");
  const b = parseNix(nix, "nix.nix");
  // Nix prints `assert` unparenthesised, which does not always re-parse.
  if (!a.ok || !b.ok) return "inconclusive";
  const canon = { ...opts, canonicalOrder: true };
  return showLikeNix(a.value, canon) === showLikeNix(b.value, canon)
    ? "equal-modulo-order"
    : "different";
}
