import { pipeline, type Readable, type Transform } from 'node:stream';
import type Docker from 'dockerode';
import { invalidArgs, WharfError } from '../../domain/errors.js';
import { LastLines, sinceOf, type LogOptions, type PodRef } from '../logs.js';
import { RuntimeUnavailableError } from '../runtime.js';
import { engineMessage, isConnectionError, statusOf } from './client.js';
import { engineTime } from './container-records.js';
import { LABEL } from './labels.js';
import { LogFrames } from './multiplexed-stream.js';
import type { CachedPodEntry } from './pod-cache.js';
import type { ContainerFacts } from './pod-status.js';

/** The fields of a container's inspection the log and stats calls read. */
interface Inspected {
  RestartCount: number;
  Config: { Tty?: boolean };
  State: { Running: boolean; Restarting?: boolean; StartedAt: string; FinishedAt: string };
}

/** The engine's containers of a pod: its sandbox and its spec containers by name. 404 when the cache has no such pod. */
export function podContainers(entries: CachedPodEntry[], ref: PodRef): { sandbox: ContainerFacts | undefined; containers: Map<string, ContainerFacts> } {
  const entry = entries.find((candidate) => candidate.name === ref.pod);
  if (!entry) throw new WharfError('NotFound', `pod "${ref.pod}" does not exist on the Docker engine`);
  const sandbox = entry.containers.find((facts) => facts.labels[LABEL.role] === 'sandbox');
  const containers = new Map(entry.containers.filter((facts) => facts.labels[LABEL.role] === 'container').map((facts) => [facts.labels[LABEL.container] ?? '', facts]));
  return { sandbox, containers };
}

/**
 * One container's log from the Engine's logs API. Docker keeps one container across restarts and
 * one log for all its runs, so an instance is a window of it by time (instanceWindow): the current
 * one (running, or the last run if it is not running), or the previous one: everything before it.
 * A container without a TTY answers in frames (stdout and stderr multiplexed), demultiplexed here.
 */
export async function containerLogs(docker: Docker, entries: CachedPodEntry[], ref: PodRef, options: LogOptions, address: string): Promise<Readable> {
  const facts = podContainers(entries, ref).containers.get(options.container);
  if (!facts) throw invalidArgs(`container "${options.container}" in pod "${ref.pod}" is waiting to start: the engine has no container for it yet`, 'container');
  try {
    const container = docker.getContainer(facts.id);
    const inspected = (await container.inspect()) as unknown as Inspected;
    const window = instanceWindow(inspected, options);
    const since = Math.max(window.since ?? 0, sinceOf(options) ?? 0);
    const query = {
      stdout: true,
      stderr: true,
      follow: options.follow && !options.previous,
      timestamps: options.timestamps,
      // Docker cuts the tail off the whole log: right for the current instance (the log's end),
      // not for the previous one, whose last lines are cut here.
      tail: options.tailLines === undefined || options.previous ? 'all' : String(options.tailLines),
      ...(since > 0 ? { since: unixSeconds(since) } : {}),
      ...(window.until === undefined ? {} : { until: unixSeconds(window.until) }),
    };
    const body = await openLogs(docker, facts.id, query);
    const stages: Transform[] = [];
    if (inspected.Config.Tty !== true) stages.push(new LogFrames());
    if (options.previous && options.tailLines !== undefined) stages.push(new LastLines(options.tailLines));
    const last = stages.at(-1);
    if (!last) return body;
    // The reader destroying the last stage destroys the engine's response with it; errors reach the reader through it.
    pipeline([body, ...stages], () => {});
    return last;
  } catch (error) {
    throw engineError(error, `container "${options.container}" of pod "${ref.pod}"`, address);
  }
}

// Docker's restart policy waits at least this long before it starts a crashed container again.
const RESTART_BACKOFF_MS = 100;

/**
 * The window of the log one instance wrote. Docker drains a process's output before it records
 * FinishedAt, but records StartedAt only after the process runs (its first line may be older), so
 * a running container's instances are told apart by when the last one finished. A container that
 * is not running shows its last run, which started at least the restart back-off after the one
 * before ended. 400, as kubectl says it, when there was no earlier run.
 */
export function instanceWindow(inspected: Inspected, options: Pick<LogOptions, 'previous' | 'container'>): { since?: number; until?: number } {
  const { State: state } = inspected;
  const running = state.Running && state.Restarting !== true;
  const startedAt = engineTime(state.StartedAt);
  const finishedAt = engineTime(state.FinishedAt);
  // Running: the earlier run ended at FinishedAt, if one ever did. Not running: the last run is the
  // current one, and an earlier one exists only if the engine restarted it.
  const boundary = running
    ? finishedAt
    : startedAt !== undefined && inspected.RestartCount > 0 ? startedAt - RESTART_BACKOFF_MS : undefined;
  if (!options.previous) return boundary === undefined ? {} : { since: boundary };
  if (boundary === undefined) throw invalidArgs(`previous terminated container "${options.container}" not found: it has not restarted`, 'previous');
  return { until: boundary };
}

function unixSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** GET /containers/{id}/logs as a stream, followed or not (dockerode buffers a log that is not followed). */
function openLogs(docker: Docker, id: string, options: Record<string, unknown>): Promise<Readable> {
  return new Promise((resolve, reject) => {
    docker.modem.dial(
      { path: `/containers/${id}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' }, options },
      (error: unknown, stream: unknown) => (error ? reject(error) : resolve(stream as Readable)),
    );
  });
}

/** An engine's error as the API's: gone is 404, no answer 503, anything else as it came. */
export function engineError(error: unknown, what: string, address: string): unknown {
  if (error instanceof WharfError) return error;
  if (statusOf(error) === 404) return new WharfError('NotFound', `${what} is gone from the Docker engine`);
  // A logging driver Docker cannot read back (none, syslog, …) is refused with 501.
  if (statusOf(error) === 501) return new WharfError('NotImplemented', `the Docker engine cannot read the log of ${what}: ${engineMessage(error)}`);
  if (isConnectionError(error)) return new RuntimeUnavailableError(`the Docker engine at ${address} does not answer: ${engineMessage(error)}`);
  return error;
}
