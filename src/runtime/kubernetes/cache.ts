/** One watched object, in the observed vocabulary, filed under the service (key string) it belongs to. */
export interface CacheEntry<V> {
  id: string;
  /** `keyString` of its service; undefined for an object of no service of this region. */
  key: string | undefined;
  value: V;
}

/**
 * The watched objects of one kind, indexed by service so `observe` never scans the cluster.
 * Every write returns the services whose view changed, for the runtime's `onChange`.
 */
export class ServiceIndexedCache<V> {
  private readonly byId = new Map<string, { key: string; value: V }>();
  private readonly byKey = new Map<string, Map<string, V>>();

  valuesOf(key: string): V[] {
    return [...(this.byKey.get(key)?.values() ?? [])];
  }

  /** Every object's value, of every service. */
  values(): V[] {
    return [...this.byId.values()].map((entry) => entry.value);
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  put(entry: CacheEntry<V>): string[] {
    const changed = this.delete(entry.id);
    if (entry.key === undefined) return changed;
    this.byId.set(entry.id, { key: entry.key, value: entry.value });
    const values = this.byKey.get(entry.key) ?? new Map<string, V>();
    values.set(entry.id, entry.value);
    this.byKey.set(entry.key, values);
    return unique([...changed, entry.key]);
  }

  delete(id: string): string[] {
    const old = this.byId.get(id);
    if (!old) return [];
    this.byId.delete(id);
    const values = this.byKey.get(old.key);
    values?.delete(id);
    if (values?.size === 0) this.byKey.delete(old.key);
    return [old.key];
  }

  /** After a (re)list: the list is the whole truth, so what it lacks was deleted meanwhile. */
  replace(entries: CacheEntry<V>[]): string[] {
    const changed = [...this.byId.keys()].flatMap((id) => this.delete(id));
    for (const entry of entries) changed.push(...this.put(entry));
    return unique(changed);
  }
}

function unique(keys: string[]): string[] {
  return [...new Set(keys)];
}
