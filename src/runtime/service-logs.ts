import { PassThrough, type Readable } from 'node:stream';
import type { ContainerStatus } from '../model/service-status.js';
import { WharfError } from '../domain/errors.js';
import type { ServiceKey } from '../domain/keys.js';
import type { ObservedPod } from '../domain/observed.js';
import { LineSplitter, type LogQuery } from './logs.js';
import type { Runtime } from './runtime.js';

export interface ServiceLogsOptions {
  runtime: Runtime;
  key: ServiceKey;
  /** Only this container of each pod; absent: every container. */
  container: string | undefined;
  query: LogQuery;
  /** How often a follow looks for pods that appeared or went (a rollout), and containers that restarted. */
  pollMs: number;
  /** Why a container's log could not be read (it is left out, and tried again on the next poll while following). */
  onSkip: (pod: string, container: string, error: unknown) => void;
}

/** One container's log being streamed into the merge. */
interface Source {
  stream: Readable;
  /** The container's start the stream reads; a later start (a restart) is read anew once this one ended. */
  startedAt: string | undefined;
  ended: boolean;
}

/**
 * Every container of every pod of a service in one text stream, each line prefixed
 * `[pod/container] ` and never cut by another's (docker compose logs, kubectl logs --prefix).
 * Without follow, pod by pod in name order, then the stream ends. With follow, all at once as
 * lines come, and the runtime's cache is polled: a pod that appears (a rollout, a scale-up) is
 * followed from its first line, one that is gone is dropped, a container that started again is
 * read from its new start. It ends only when the reader goes (destroying it closes every engine stream).
 */
export function serviceLogs(options: ServiceLogsOptions): Readable {
  const output = new PassThrough();
  if (options.query.follow) followAll(options, output);
  else void readInTurn(options, output).then(() => output.end(), (error: unknown) => output.destroy(error as Error));
  return output;
}

function containersOf(pod: ObservedPod, only: string | undefined): ContainerStatus[] {
  return pod.containerStatuses.filter((status) => only === undefined || status.name === only);
}

function prefixed(stream: Readable, pod: string, container: string): LineSplitter {
  const prefix = Buffer.from(`[${pod}/${container}] `);
  const lines = new LineSplitter((line) => Buffer.concat([prefix, line]));
  stream.on('error', (error) => lines.destroy(error));
  // pipe() does not pass a destroy back: the engine's stream must close with the reader.
  lines.once('close', () => stream.destroy());
  return stream.pipe(lines);
}

/** A container the engine cannot give a log of (never ran, no previous instance, gone meanwhile) is skipped. */
function skippable(error: unknown): boolean {
  return error instanceof WharfError && (error.code === 'InvalidArgs' || error.code === 'NotFound');
}

async function readInTurn({ runtime, key, container, query, onSkip }: ServiceLogsOptions, output: PassThrough): Promise<void> {
  // Code-point order, as every other listing: the same on every host, whatever its locale.
  const pods = [...runtime.observe(key).pods].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const pod of pods) {
    for (const status of containersOf(pod, container)) {
      if (output.destroyed) return;
      let stream: Readable;
      try {
        stream = await runtime.logs({ key, pod: pod.name }, { ...query, container: status.name });
      } catch (error) {
        if (!skippable(error)) throw error;
        onSkip(pod.name, status.name, error);
        continue;
      }
      await copy(prefixed(stream, pod.name, status.name), output);
    }
  }
}

/** Copies until `from` ends, honouring the output's back-pressure; the output going ends the copy (and destroys `from`). */
function copy(from: Readable, output: PassThrough): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      from.destroy();
      resolve();
    };
    // The client may have gone while the engine's stream was being opened: its 'close' is past.
    if (output.destroyed) return stop();
    output.once('close', stop);
    from.on('data', (chunk: Buffer) => {
      if (!output.write(chunk)) {
        from.pause();
        output.once('drain', () => from.resume());
      }
    });
    from.once('end', () => {
      output.off('close', stop);
      resolve();
    });
    from.once('error', (error) => {
      output.off('close', stop);
      reject(error);
    });
  });
}

function followAll({ runtime, key, container, query, pollMs, onSkip }: ServiceLogsOptions, output: PassThrough): void {
  const sources = new Map<string, Source>();
  const opening = new Set<string>();
  let first = true;
  let draining = false;

  const open = async (pod: ObservedPod, status: ContainerStatus, initial: boolean): Promise<void> => {
    const id = `${pod.name}/${status.name}`;
    opening.add(id);
    try {
      // The request's tail and since apply to what ran when it came; a pod or start seen later is read whole.
      const options = initial ? query : { ...query, tailLines: undefined, sinceSeconds: undefined, sinceTime: undefined };
      const stream = await runtime.logs({ key, pod: pod.name }, { ...options, container: status.name });
      if (output.destroyed) return void stream.destroy();
      const source: Source = { stream: prefixed(stream, pod.name, status.name), startedAt: status.startedAt, ended: false };
      sources.set(id, source);
      if (draining) source.stream.pause();
      source.stream.on('data', (chunk: Buffer) => {
        if (output.write(chunk) || draining) return;
        // The client reads slower than the containers write: every source waits for it.
        draining = true;
        for (const each of sources.values()) each.stream.pause();
        output.once('drain', () => {
          draining = false;
          for (const each of sources.values()) each.stream.resume();
        });
      });
      const ended = (): void => {
        source.ended = true;
      };
      source.stream.once('end', ended);
      source.stream.once('error', (error) => {
        ended();
        onSkip(pod.name, status.name, error);
      });
    } catch (error) {
      onSkip(pod.name, status.name, error);
    } finally {
      opening.delete(id);
    }
  };

  const poll = (): void => {
    const pods = runtime.observe(key).pods;
    const seen = new Set<string>();
    for (const pod of pods) {
      for (const status of containersOf(pod, container)) {
        const id = `${pod.name}/${status.name}`;
        seen.add(id);
        if (opening.has(id)) continue;
        const source = sources.get(id);
        const restarted = source?.ended === true && status.state === 'running' && status.startedAt !== source.startedAt;
        if (source && !restarted) continue;
        void open(pod, status, first);
      }
    }
    first = false;
    for (const [id, source] of sources) {
      if (seen.has(id)) continue;
      source.stream.destroy();
      sources.delete(id);
    }
  };

  poll();
  const timer = setInterval(poll, pollMs);
  output.once('close', () => {
    clearInterval(timer);
    for (const source of sources.values()) source.stream.destroy();
    sources.clear();
  });
}
