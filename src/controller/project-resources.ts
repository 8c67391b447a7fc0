import type { Logger } from 'pino';
import { resourceLabel, type ProjectResourceKey } from '../domain/deletion.js';
import { WharfError } from '../domain/errors.js';
import type { Region } from '../regions.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Store } from '../store/store.js';
import { WorkQueue, type BackoffOptions } from './work-queue.js';

export interface ProjectResourceOptions {
  workers: number;
  backoff: BackoffOptions;
  /**
   * How long one engine call may take before it counts as failed and is retried. The call itself
   * cannot be cancelled; a later attempt finds whatever it did (an object already gone is done).
   */
  engineTimeoutMs: number;
}

export const DEFAULT_PROJECT_RESOURCE_OPTIONS: ProjectResourceOptions = {
  workers: 2,
  backoff: { baseDelayMs: 200, maxDelayMs: 30_000 },
  engineTimeoutMs: 60_000,
};

/**
 * The engine side of ConfigMaps and volumes. A volume the API created is made on the engine at
 * once, so its status tells whether the engine can (not only when a service first mounts it); the
 * runtime reports how that went in the volume's status.
 *
 * A DELETE is done as a Kubernetes finalizer does it. The route
 * marks the row deleting and commits; the change feed wakes this loop, which removes the object
 * from the engine outside any transaction and then deletes the row in a transaction of its own.
 * A failed attempt is recorded on the row (the API shows it) and retried with backoff; start and
 * every resync read what is still pending, so a restart or a lost wake-up loses nothing.
 *
 * A runtime refusing with OperationForbbiden says the engine object of that name belongs to
 * another Wharf, region or project (Docker's labels): never retried, and never touched. Wharf's own
 * record goes, since this Wharf's volume never existed on the engine under that name; the foreign
 * object and its data stay, and a warning names it.
 */
export class ProjectResources {
  private readonly queue: WorkQueue;
  private workers: Promise<void>[] = [];
  /** Aborted by close: an engine call under way is then abandoned, not waited for (the next start resumes it). */
  private readonly stopping = new AbortController();
  private stopListening: () => void = () => {};

  constructor(
    private readonly store: Store,
    private readonly regions: Map<string, Region>,
    private readonly log: Logger,
    private readonly options: ProjectResourceOptions = DEFAULT_PROJECT_RESOURCE_OPTIONS,
  ) {
    this.queue = new WorkQueue(options.backoff);
  }

  /** Listens to the change feed, queues every deletion left pending, then starts the workers. */
  async start(): Promise<void> {
    this.stopListening = this.store.onCommit((_services, resources) => resources.forEach((key) => this.enqueue(key)));
    await this.resync();
    this.workers = Array.from({ length: this.options.workers }, () => this.work());
  }

  /** Stops: engine calls under way are abandoned, their rows left deleting for the next start. */
  async close(): Promise<void> {
    this.stopListening();
    this.stopping.abort();
    this.queue.shutdown();
    await Promise.all(this.workers);
  }

  /** Another region's deletion is another controller's. */
  enqueue(key: ProjectResourceKey): void {
    if (this.regions.has(key.region)) this.queue.add(JSON.stringify([key.kind, key.region, key.project, key.name]));
  }

  /** Queues every deletion the store has pending in a configured region. */
  async resync(): Promise<void> {
    for (const region of this.regions.values()) {
      for (const key of await this.store.deletions.pending(region.name)) this.enqueue(key);
    }
  }

  /**
   * One attempt: the engine call, then the row. Throws to be retried with backoff, once the failure
   * is recorded on the row.
   */
  async process(key: ProjectResourceKey): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const region = this.regions.get(key.region);
    if (!region) return;
    const pending = await this.store.deletions.find(key);
    if (!pending) {
      // Created (or gone, or deleted by an earlier attempt: then nothing is left to do).
      const volume = key.kind === 'volume' ? await this.store.volumes.find(key) : undefined;
      if (volume) region.runtime.createVolume?.(volume);
      return;
    }
    try {
      await this.withTimeout(removeFromEngine(region.runtime, key), key);
    } catch (error) {
      if (this.stopping.signal.aborted) throw error;
      if (error instanceof WharfError && error.code === 'OperationForbbiden') {
        await this.store.deletions.finish(key);
        this.log.warn(
          { region: key.region, deleted: resourceLabel(key), reason: error.message },
          `${resourceLabel(key)}: the engine object of that name belongs to someone else and was left untouched; Wharf's record of it is deleted`,
        );
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      if (message !== pending.message) await this.store.deletions.failed(key, message);
      throw error;
    }
    if (await this.store.deletions.finish(key)) this.log.info({ region: key.region, deleted: resourceLabel(key) }, `${resourceLabel(key)} deleted`);
  }

  /** The engine call, failed after engineTimeoutMs or at once when Wharf stops. */
  private async withTimeout(call: Promise<void>, key: ProjectResourceKey): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onStop: (() => void) | undefined;
    const seconds = this.options.engineTimeoutMs / 1000;
    const cutOff = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the engine did not answer within ${seconds} s`)), this.options.engineTimeoutMs);
      onStop = () => reject(new Error(`Wharf stopped while deleting ${resourceLabel(key)}`));
      this.stopping.signal.addEventListener('abort', onStop, { once: true });
    });
    // The abandoned call may still fail later: that is no unhandled rejection.
    call.catch(() => {});
    try {
      await Promise.race([call, cutOff]);
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop!);
    }
  }

  private async work(): Promise<void> {
    for (let id = await this.queue.get(); id !== undefined; id = await this.queue.get()) {
      const [kind, region, project, name] = JSON.parse(id) as [ProjectResourceKey['kind'], string, string, string];
      const key: ProjectResourceKey = { kind, region, project, name };
      try {
        await this.process(key);
        this.queue.forget(id);
      } catch (error) {
        const retryInMs = this.queue.addRateLimited(id);
        if (!this.stopping.signal.aborted) this.log.warn({ region, deleting: resourceLabel(key), err: error, retryInMs }, 'deletion failed; retrying');
      } finally {
        this.queue.done(id);
      }
    }
  }
}

/** A runtime without the call keeps nothing of that kind on the engine: nothing to remove. */
async function removeFromEngine(runtime: Runtime, key: ProjectResourceKey): Promise<void> {
  if (key.kind === 'volume') await runtime.deleteVolume?.(key.project, key.name);
  else await runtime.deleteConfigMap?.(key.project, key.name);
}
