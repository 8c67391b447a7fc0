import type { Event } from '../api/schemas/event.js';
import type { Service } from '../api/schemas/microservice.js';

/** Where a service's rollout stands, as `wharf rollout status` judges it from the service object. */
export type Verdict =
  | { state: 'progressing' }
  | { state: 'complete'; note: string }
  | { state: 'failed'; reason: string; message: string };

/**
 * Complete once the current revision's rollout is recorded complete and every pod is updated and
 * available (phase running: a scale keeps the record complete, the counts say the rest); a stopped
 * service has nothing to roll out. Failed when the rollout missed its progress deadline, or when an
 * automatic rollback replaced the release (rolling out, or done: either way the release is gone).
 */
export function rolloutVerdict(service: Service): Verdict {
  const { rollout, phase } = service.status;
  if (rollout.state === 'failed') return { state: 'failed', reason: rollout.reason, message: rollout.message };
  if (rollout.state === 'rolledBack' || rollout.reason === 'RolledBack') return { state: 'failed', reason: 'RolledBack', message: rollout.message };
  if (phase === 'stopped') return { state: 'complete', note: 'stopped: no pod runs' };
  if (rollout.revision === service.revision && rollout.state === 'complete' && phase === 'running') {
    return { state: 'complete', note: `revision ${service.revision} rolled out` };
  }
  return { state: 'progressing' };
}

const BAR_WIDTH = 12;

/**
 * `app0/web  progressing  [######------]  updated 1/2  ready 1/2  revision 2`: ready
 * counts the pods of the current revision that are ready (the service's `available` counts old
 * pods too, so mid-rollout it passes the desired number); the bar shows them against the desired
 * number. The verdict comes first: a terminal cuts what passes its width.
 */
export function progressLine(name: string, service: Service | undefined): string {
  if (!service) return `${name}  waiting for the service`;
  const { desire, updated } = service.status;
  const ready = service.pods.filter((pod) => pod.revision === service.revision && pod.ready && pod.status.phase !== 'terminating').length;
  const done = desire === 0 ? 1 : Math.min(ready, desire) / desire;
  const filled = Math.round(done * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  return `${name}  ${verdictText(rolloutVerdict(service))}  ${bar}  updated ${updated}/${desire}  ready ${ready}/${desire}  revision ${service.revision}`;
}

function verdictText(verdict: Verdict): string {
  switch (verdict.state) {
    case 'progressing':
      return 'progressing';
    case 'complete':
      return `complete (${verdict.note})`;
    case 'failed':
      return `failed: ${verdict.reason}`;
  }
}

/** `  Warning BackOff web-x5b2k-7hxkq/main: back-off restarting failed container (×3)`: the newest event of a service. */
export function eventLine(event: Event): string {
  const where = [event.pod, event.container].filter(Boolean).join('/');
  const count = event.count > 1 ? ` (×${event.count})` : '';
  return `  ${event.type} ${event.reason}${where ? ` ${where}` : ''}: ${event.message}${count}`;
}
