// Input renaming for one (channel, os), as Nixverse names them, with explicit precedence
// (-<channel>-<os> > -<channel> > -any) instead of Nixverse's alphabetical accident, as a superset
// of Nixverse HEAD's lib/load/getUserInputs.nix: an input no rule renames is visible under its own
// name (`preservation`, `nixverse`, other channels' `nixpkgs-stable-nixos`), `-none` hides one.

import type { Os } from "../model/types.js";

interface Candidate {
  input: string;
  exposed: string;
  rank: number;
}

/** Ranks: a renamed name beats a pass-through of the same name (HEAD's alphabetical order agrees). */
const PASS_THROUGH = 0;

/**
 * The exposed name and rank of one input on (channel, os): its renamed name, or its own name
 * (rank 0) when no rule applies; null when `-none` hides it or another os's rule claims it.
 */
export function renameInput(input: string, channel: string, os: Os): Candidate | null {
  return exposures(input, channel, os)[0] ?? null;
}

/** Every name one input is visible under, best first (`x-any` is `x` and, as in HEAD, `x-any`). */
export function exposures(input: string, channel: string, os: Os): Candidate[] {
  const strip = (suffix: string) =>
    input.endsWith(suffix) && input.length > suffix.length ? input.slice(0, -suffix.length) : null;
  const own = { input, exposed: input, rank: PASS_THROUGH };
  let p: string | null;
  if (channel !== "unstable") {
    if ((p = strip(`-unstable-${os}`))) return [{ input, exposed: `${p}-unstable`, rank: 3 }];
    if (strip("-unstable")) return [{ input, exposed: input, rank: 2 }];
  }
  if ((p = strip(`-${channel}-${os}`))) return [{ input, exposed: p, rank: 3 }];
  if ((p = strip(`-${channel}`))) return [{ input, exposed: p, rank: 2 }];
  if (strip("-none")) return [];
  if ((p = strip("-any"))) return [{ input, exposed: p, rank: 1 }, own];
  return [own];
}

/** exposed name → input name for every input visible on (channel, os), sorted by exposed name. */
export function renameTable(inputs: string[], channel: string, os: Os): Record<string, string> {
  const best = new Map<string, Candidate>();
  for (const input of inputs) {
    if (input === "self") continue;
    for (const c of exposures(input, channel, os)) {
      const prev = best.get(c.exposed);
      // Equal ranks keep Nixverse's rule: the alphabetically last input wins.
      if (!prev || c.rank > prev.rank || (c.rank === prev.rank && c.input > prev.input)) {
        best.set(c.exposed, c);
      }
    }
  }
  return Object.fromEntries(
    [...best.values()]
      .sort((a, b) => (a.exposed < b.exposed ? -1 : 1))
      .map((c) => [c.exposed, c.input]),
  );
}

/** The name the generator adds for a missing conventional input. */
export function conventionalName(need: string, channel: string, os: Os): string {
  return channel === "unstable" ? `${need}-unstable` : `${need}-${channel}-${os}`;
}
