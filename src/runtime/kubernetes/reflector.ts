import type { KubernetesListObject, KubernetesObject, Watch } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { statusOf } from './api.js';

const STOP_GRACE_MS = 2000;

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface ReflectorOptions<T extends KubernetesObject> {
  /** For logs: `pods`, `deployments`, … */
  resource: string;
  watch: Watch;
  /** The watch path of the resource, across all namespaces. */
  path: string;
  labelSelector: string;
  list: () => Promise<KubernetesListObject<T>>;
  /** The whole set after every successful list. */
  onList: (items: T[]) => void;
  onEvent: (type: WatchEventType, object: T) => void;
  /** True once a list succeeded; false as soon as a list or a watch fails (the cache may miss changes). */
  onSynced: (synced: boolean) => void;
  backoff: { baseDelayMs: number; maxDelayMs: number };
  /** The API server ends each watch after this long; a watch still open some time later is dead and is dropped. */
  watchTimeoutSeconds: number;
  log: Logger;
  /** A list after the first: the watch started over (410 Gone, a failure). */
  relisted?: () => void;
}

/**
 * An informer's list-and-watch loop for one resource, in the manner of client-go's reflector:
 * list, then watch from the list's resourceVersion; a watch that ends is resumed from the last
 * version seen; `410 Gone` (that version was compacted away) relists; any other failure marks the
 * cache unsynced and relists after a backoff. @kubernetes/client-node's ListWatch is not used: it
 * tells neither when a list has completed nor that a failed watch needs a relist, and `known`
 * (ObservedService) rests on both.
 */
export class Reflector<T extends KubernetesObject> {
  private stopped = false;
  private abortWatch: (() => void) | undefined;
  private cancelSleep: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: ReflectorOptions<T>) {}

  /** Resolves after the first list, whether it succeeded or not; the loop goes on until `stop`. */
  start(): Promise<void> {
    return new Promise((firstListDone) => {
      this.loop = this.run(firstListDone);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.cancelSleep?.();
    // client-node's Watch hands out its abort handle only once response headers arrive; an API
    // server that never answers must not hold a shutdown forever.
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([this.loop, grace]);
    clearTimeout(timer);
  }

  private async run(firstListDone: () => void): Promise<void> {
    const { options } = this;
    let resourceVersion: string | undefined; // undefined: list before watching
    let failures = 0;
    let listed = false;
    while (!this.stopped) {
      try {
        if (resourceVersion === undefined) {
          const list = await options.list();
          if (listed) options.relisted?.();
          listed = true;
          options.onList(list.items);
          resourceVersion = list.metadata?.resourceVersion ?? '';
          failures = 0;
          options.onSynced(true);
          firstListDone();
        }
        const outcome = await this.watchFrom(resourceVersion, (version) => (resourceVersion = version));
        if (outcome === 'gone') {
          options.log.info({ resource: options.resource }, 'watch: resourceVersion too old (410 Gone), relisting');
          resourceVersion = undefined;
        }
      } catch (error) {
        firstListDone();
        if (this.stopped) break;
        resourceVersion = undefined;
        if (statusOf(error) === 410) continue;
        options.onSynced(false);
        const delayMs = Math.min(options.backoff.baseDelayMs * 2 ** failures, options.backoff.maxDelayMs);
        failures++;
        options.log.warn({ resource: options.resource, err: error, retryInMs: delayMs }, 'list or watch failed');
        await this.sleep(delayMs);
      }
    }
  }

  /** One watch request: resolves when the stream ends (`gone` after a 410 event), rejects when it fails. */
  private watchFrom(resourceVersion: string, seen: (version: string) => void): Promise<'ended' | 'gone'> {
    const { options } = this;
    return new Promise((resolve, reject) => {
      let gone = false;
      let failure: Error | undefined;
      let closedByUs = false;
      let controller: AbortController | undefined;
      const close = (): void => {
        closedByUs = true;
        controller?.abort();
      };
      const deadTimer = setTimeout(close, (options.watchTimeoutSeconds + 30) * 1000);
      this.abortWatch = close;

      const onEvent = (type: string, object: T & { code?: number; message?: string }): void => {
        if (type === 'ERROR') {
          if (object.code === 410) gone = true;
          else failure = new Error(`watch ${options.resource}: ${object.message ?? `error ${object.code}`}`);
          close();
          return;
        }
        if (object.metadata?.resourceVersion) seen(object.metadata.resourceVersion);
        if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') options.onEvent(type, object);
      };
      const onDone = (error: unknown): void => {
        clearTimeout(deadTimer);
        this.abortWatch = undefined;
        if (failure) reject(failure);
        else if (gone) resolve('gone');
        else if (error && !closedByUs) reject(error);
        else resolve('ended');
      };

      const query = {
        resourceVersion,
        labelSelector: options.labelSelector,
        allowWatchBookmarks: true,
        timeoutSeconds: options.watchTimeoutSeconds,
      };
      options.watch.watch(options.path, query, onEvent, onDone).then(
        (started) => {
          controller = started;
          if (closedByUs || this.stopped) started.abort();
        },
        onDone,
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.cancelSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
