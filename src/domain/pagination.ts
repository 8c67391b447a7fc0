/**
 * Pages of a list by position in its order (keyset pagination, as Kubernetes' `continue`): a page
 * starts after the last item of the one before, by that item's sort key. An item created or
 * deleted between two pages moves no other item from one page to another, so none is listed twice
 * or skipped; the pages are not one snapshot, as Kubernetes' are not once their version expired.
 */

/** Where an item stands in the order: compared element by element, as strings. */
export type SortKey = readonly string[];

export interface Page<T> {
  items: T[];
  /** The sort key of the page's last item, when items follow it. */
  next?: SortKey;
}

/**
 * The items after `after` (all, without it), at most `limit`, in the order of `sortKey`. Sorted
 * here rather than taken in the store's order: PostgreSQL's collation may order names otherwise
 * than the comparison of tokens, and a page would then skip or repeat items.
 */
export function pageOf<T>(items: readonly T[], sortKey: (item: T) => SortKey, limit: number, after?: SortKey): Page<T> {
  const keyed = items.map((item) => ({ item, key: sortKey(item) }));
  const following = (after === undefined ? keyed : keyed.filter(({ key }) => compareKeys(key, after) > 0)).sort((a, b) => compareKeys(a.key, b.key));
  const page = following.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(({ item }) => item), ...(following.length > limit && last ? { next: last.key } : {}) };
}

function compareKeys(a: SortKey, b: SortKey): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index] !== b[index]) return a[index]! < b[index]! ? -1 : 1;
  }
  return a.length - b.length;
}
