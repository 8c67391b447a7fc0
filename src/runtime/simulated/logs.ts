import { Readable } from 'node:stream';
import { invalidArgs } from '../../domain/errors.js';
import type { ObservedPod } from '../../domain/observed.js';
import { sinceOf, type LogOptions } from '../logs.js';
import type { PodStats } from '../stats.js';

interface LogLine {
  /** ISO 8601. */
  time: string;
  text: string;
}

const PREFIX = '[simulated]';

/**
 * A simulated container's log: no process runs, so there is no output to read. These few lines,
 * generated from what the simulated runtime knows (created, started, how it last ended), say so.
 * `follow` ends at once: nothing will ever be written.
 */
export function simulatedLogs(pod: ObservedPod, options: LogOptions, now = new Date()): Readable {
  const status = pod.containerStatuses.find((candidate) => candidate.name === options.container);
  if (!status) throw invalidArgs(`container "${options.container}" is not in pod ${pod.name}`, 'container');
  const lines: LogLine[] = [
    { time: pod.creationTime, text: `${PREFIX} pod ${pod.name} runs on Wharf's simulated runtime: no container runs and nothing writes this log; Wharf generated these lines` },
  ];
  if (options.previous) {
    const last = status.lastState;
    if (!last) throw invalidArgs(`previous terminated container "${options.container}" in pod "${pod.name}" not found`, 'previous');
    lines.push({ time: last.finishedAt, text: `${PREFIX} container ${status.name} exited with code ${last.exitCode} (${last.reason})` });
  } else {
    if (status.startedAt) lines.push({ time: status.startedAt, text: `${PREFIX} container ${status.name} started (restarts so far: ${status.restartCount})` });
    if (status.state !== 'running') {
      const why = [status.reason, status.message].filter(Boolean).join(': ');
      lines.push({ time: now.toISOString(), text: `${PREFIX} container ${status.name} is ${status.state}${why ? `: ${why}` : ''}` });
    }
  }
  const since = sinceOf(options, now.getTime());
  const shown = lines.filter((line) => since === undefined || Date.parse(line.time) >= since);
  const tail = options.tailLines === undefined ? shown : shown.slice(Math.max(0, shown.length - options.tailLines));
  return Readable.from(tail.map((line) => `${options.timestamps ? `${line.time} ` : ''}${line.text}\n`).join(''));
}

/** Nothing runs, so nothing is used: every running container at 0, and the answer says it is simulated. */
export function simulatedStats(pod: ObservedPod, now = new Date()): PodStats {
  return {
    pod: pod.name,
    time: now.toISOString(),
    containers: pod.containerStatuses
      .filter((status) => status.state === 'running')
      .map((status) => ({ name: status.name, cpu: { usageCores: 0 }, memory: { usageBytes: 0 } })),
    simulated: true,
  };
}
