// "Did you mean …?": the known word closest to a mistyped one, by edit distance.

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      // Two swapped letters are one slip, as in "gne".
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/**
 * The known word within two edits of `word` (case ignored; one edit for words of three letters or
 * fewer, where two would match almost anything), the closest first; null when none is that close.
 */
export function closest(word: string, known: readonly string[]): string | null {
  const w = word.toLowerCase();
  const limit = w.length <= 3 ? 1 : 2;
  let best: [string, number] | null = null;
  for (const k of known) {
    // Cheap refusal first: gen asks this for every file of the tree.
    if (Math.abs(k.length - w.length) > limit) continue;
    const dist = distance(w, k.toLowerCase());
    if (dist <= limit && (best === null || dist < best[1])) best = [k, dist];
  }
  return best?.[0] ?? null;
}

/** ` (did you mean "x"?)` to append to a message, or "" when nothing is close. */
export function didYouMean(word: string, known: readonly string[]): string {
  const near = closest(word, known);
  return near === null ? "" : ` (did you mean "${near}"?)`;
}
