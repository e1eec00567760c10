// Input renaming for one (channel, os) — NIXVERSE-REFERENCE §4 — with explicit precedence
// (-<channel>-<os> > -<channel> > -any) instead of Nixverse's alphabetical accident.

import type { Os } from "../model/types.js";

interface Candidate {
  input: string;
  exposed: string;
  rank: number;
}

/** The exposed name and rank of one input, or null when it is not exposed on (channel, os). */
export function renameInput(input: string, channel: string, os: Os): Candidate | null {
  const strip = (suffix: string) =>
    input.endsWith(suffix) && input.length > suffix.length ? input.slice(0, -suffix.length) : null;
  let p: string | null;
  if (channel !== "unstable") {
    if ((p = strip(`-unstable-${os}`))) return { input, exposed: `${p}-unstable`, rank: 3 };
    if (strip("-unstable")) return { input, exposed: input, rank: 2 };
  }
  if ((p = strip(`-${channel}-${os}`))) return { input, exposed: p, rank: 3 };
  if ((p = strip(`-${channel}`))) return { input, exposed: p, rank: 2 };
  if ((p = strip("-any"))) return { input, exposed: p, rank: 1 };
  return null;
}

/** exposed name → input name for every input visible on (channel, os), sorted by exposed name. */
export function renameTable(inputs: string[], channel: string, os: Os): Record<string, string> {
  const best = new Map<string, Candidate>();
  for (const input of inputs) {
    if (input === "self") continue;
    const c = renameInput(input, channel, os);
    if (!c) continue;
    const prev = best.get(c.exposed);
    // Equal ranks keep Nixverse's rule: the alphabetically last input wins.
    if (!prev || c.rank > prev.rank || (c.rank === prev.rank && c.input > prev.input)) {
      best.set(c.exposed, c);
    }
  }
  return Object.fromEntries(
    [...best.values()]
      .sort((a, b) => (a.exposed < b.exposed ? -1 : 1))
      .map((c) => [c.exposed, c.input]),
  );
}

/** The name the generator adds for a missing conventional input (SPEC §2). */
export function conventionalName(need: string, channel: string, os: Os): string {
  return channel === "unstable" ? `${need}-unstable` : `${need}-${channel}-${os}`;
}
