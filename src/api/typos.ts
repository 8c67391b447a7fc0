/**
 * The unknown field most like a missing required one (`imgae` for `image`), so a typo is named
 * as such; undefined when none is close. Close: at most a third of the name's letters differ.
 */
export function likelyTypo(missing: string, unknownFields: readonly string[]): string | undefined {
  const parent = missing.slice(0, missing.lastIndexOf('.') + 1);
  const name = missing.slice(parent.length);
  let best: { field: string; distance: number } | undefined;
  for (const field of unknownFields) {
    if (!field.startsWith(parent) || field.slice(parent.length).includes('.')) continue;
    const distance = editDistance(name.toLowerCase(), field.slice(parent.length).toLowerCase());
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) best = { field, distance };
  }
  return best && best.field.slice(parent.length);
}

/** Damerau–Levenshtein (optimal string alignment): a swap of two letters is one edit. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i]![j] = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i]![j] = Math.min(rows[i]![j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}
