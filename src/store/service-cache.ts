import { keyString, type ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';

const MAX_ENTRIES = 50_000;

/**
 * Committed desired state of single services, for the API's and the controller's reads: a read of
 * the SQLite store through Kysely costs more than the rest of a GET. Exact because every write
 * invalidates what it touched once it commits: this process's writes directly, other replicas' (on
 * PostgreSQL) through the change feed, with the whole cache dropped whenever a notification may
 * have been missed (the same idea as the Kubernetes API server's watch cache). A read that raced a write is not kept: each
 * write moves the generation, and a loaded state is kept only if the generation did not move while
 * it was read. States are shared: callers never mutate them (domain functions copy).
 */
export class ServiceCache<State extends ServiceState = ServiceState> {
  private readonly entries = new Map<string, State>();
  /** The keys of the services of a project, or of an app: a write to any service of it drops them. */
  private readonly keyLists = new Map<string, ServiceKey[]>();
  private generation = 0;
  private trusted = true;

  async read(key: ServiceKey, load: () => Promise<State | undefined>): Promise<State | undefined> {
    const id = keyString(key);
    const hit = this.entries.get(id);
    if (hit) return hit;
    const generation = this.generation;
    const state = await load();
    if (state && this.trusted && generation === this.generation) this.keep(id, state);
    return state;
  }

  /**
   * The keys of the services of a project, or of an app when `scope.app` is given, in the order
   * `load` reads them. Kept like a state: a create or a delete is a write to the service.
   */
  async readKeys(scope: KeyListScope, load: () => Promise<ServiceKey[]>): Promise<ServiceKey[]> {
    const id = keyListId(scope);
    const hit = this.keyLists.get(id);
    if (hit) return hit;
    const generation = this.generation;
    const keys = await load();
    if (this.trusted && generation === this.generation) {
      if (this.keyLists.size >= MAX_ENTRIES) this.keyLists.clear();
      this.keyLists.set(id, keys);
    }
    return keys;
  }

  /**
   * The states of `keys` (a list's), in their order. Cached ones are the cache's own objects, so
   * whatever a caller keeps against a state (the API's serialized views) holds for a list as for a
   * single read; `load` reads those missing (it may read more), which are kept as `read` keeps
   * one. A service `load` no longer finds was deleted meanwhile: it is left out.
   */
  async readMany(keys: ServiceKey[], load: (missing: ServiceKey[]) => Promise<State[]>): Promise<State[]> {
    const ids = keys.map(keyString);
    const hits = new Map(ids.map((id) => [id, this.entries.get(id)]));
    const missing = keys.filter((_, index) => hits.get(ids[index]!) === undefined);
    if (missing.length === 0) return ids.map((id) => hits.get(id)!);
    const generation = this.generation;
    const loaded = new Map((await load(missing)).map((state) => [keyString(state.key), state]));
    const keep = this.trusted && generation === this.generation;
    const states: State[] = [];
    for (const id of ids) {
      // An entry is never stale (writes drop theirs): it stands for the state, so its identity is
      // kept. A write during the load may have dropped one that was there: the state read before it stands.
      const state = this.entries.get(id) ?? loaded.get(id) ?? hits.get(id);
      if (state === undefined) continue;
      if (keep && !this.entries.has(id)) this.keep(id, state);
      states.push(state);
    }
    return states;
  }

  /** Called when a write transaction ends, committed or not, with the services it may have changed. */
  written(keys: ServiceKey[]): void {
    this.generation++;
    for (const key of keys) {
      this.entries.delete(keyString(key));
      this.keyLists.delete(keyListId(key));
      this.keyLists.delete(keyListId({ region: key.region, project: key.project }));
    }
  }

  /** Anything may have changed: nothing cached is kept. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.keyLists.clear();
  }

  private keep(id: string, state: State): void {
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(id, state);
  }

  /**
   * Whether every write that could change a cached state is seen (another replica's only through
   * the PostgreSQL change feed): while not, nothing is cached and every read goes to the store.
   */
  trust(trusted: boolean): void {
    this.trusted = trusted;
    this.clear();
  }
}

/** A project, or an app of it. */
export interface KeyListScope {
  region: string;
  project: string;
  app?: string;
}

function keyListId({ region, project, app }: KeyListScope): string {
  return app === undefined ? `${region}/${project}` : `${region}/${project}/${app}`;
}
