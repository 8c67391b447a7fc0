import { keyString, type ServiceKey } from '../domain/keys.js';
import type { ServiceState } from '../domain/service.js';

const MAX_ENTRIES = 50_000;

/**
 * Committed desired state of single services, for the API's and the controller's reads: a read of
 * the SQLite store through Kysely costs more than the rest of a GET. Exact because this process is
 * the store's only writer and every write invalidates what it touched once it commits (the same
 * idea as the Kubernetes API server's watch cache). A read that raced a write is not kept: each
 * write moves the generation, and a loaded state is kept only if the generation did not move while
 * it was read. States are shared: callers never mutate them (domain functions copy).
 */
export class ServiceCache<State extends ServiceState = ServiceState> {
  private readonly entries = new Map<string, State>();
  private generation = 0;

  async read(key: ServiceKey, load: () => Promise<State | undefined>): Promise<State | undefined> {
    const id = keyString(key);
    const hit = this.entries.get(id);
    if (hit) return hit;
    const generation = this.generation;
    const state = await load();
    if (state && generation === this.generation) {
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      this.entries.set(id, state);
    }
    return state;
  }

  /** Called when a write transaction ends, committed or not, with the services it may have changed. */
  written(keys: ServiceKey[]): void {
    this.generation++;
    for (const key of keys) this.entries.delete(keyString(key));
  }
}
