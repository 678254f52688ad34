// "did you mean ...?" for names an operator mistyped: config keys, tenant ids. The same idea as
// commander's suggestions for flags: the closest known names by edit distance, only when close.

/** Optimal string alignment distance (Levenshtein plus swapping two neighbours: "partiton"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known names closest to `word` (case ignored), at most a third of its length away (at
 * least 1, at most 3 edits); nearest first, ties in the given order. Empty when none is close.
 */
export function similarNames(word: string, known: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const max = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  const scored = [...new Set(known)]
    .filter((k) => k !== word)
    .map((k) => ({ k, d: editDistance(w, k.toLowerCase()) }))
    .filter((s) => s.d <= max);
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).map((s) => s.k);
}

/** " (did you mean "a" or "b"?)" or "" — ready to append to a message. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const names = similarNames(word, known);
  if (names.length === 0) return '';
  return ` (did you mean ${names.map((n) => JSON.stringify(n)).join(' or ')}?)`;
}
