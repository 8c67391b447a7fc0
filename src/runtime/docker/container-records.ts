import type { ContainerStatus } from '../../model/service-status.js';

export type LastState = NonNullable<ContainerStatus['lastState']>;

/** The fields of Docker's container inspection (GET /containers/{id}/json) that Wharf reads. */
export interface InspectedContainer {
  RestartCount: number;
  /** While Docker's restart policy waits to start it again, Running and Restarting are both true. */
  State: { Running: boolean; Restarting?: boolean; StartedAt: string; FinishedAt: string; ExitCode: number; OOMKilled: boolean };
}

/** What Wharf knows of one container beyond Docker's list, from inspections and events. */
export interface ContainerRecord {
  /** Docker's RestartCount at the last inspection: its restart policy's restarts since the container was last started by hand. */
  engineRestarts: number;
  /** Restarts Docker's count no longer holds: Wharf's own, and what Docker had counted before each (a start by hand resets it). */
  carried: number;
  /** Set by a restart of Wharf's until an inspection after it shows whether the engine reset its count. */
  pendingReset?: { engineRestarts: number; startedAt?: number };
  /** Epoch ms, exact; only while running. */
  startedAt?: number;
  lastState?: LastState;
  /** An `oom` event came since the last `die`: that exit was the kernel's OOM killer. */
  oom?: boolean;
}

/**
 * Per container id: restart counts, exact start times and how each container last ended. Docker's
 * list has none of these, and its inspection forgets the exit code once the container runs
 * again, so the last one seen is remembered here. Pure bookkeeping: the caller inspects.
 */
export class ContainerRecords {
  private readonly records = new Map<string, ContainerRecord>();

  get(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  restartCount(id: string): number {
    const record = this.records.get(id);
    return record ? record.carried + record.engineRestarts : 0;
  }

  /** An inspection's answer; returns whether anything a pod's view shows changed. */
  inspected(id: string, info: InspectedContainer): boolean {
    const previous = this.records.get(id);
    const { State: state } = info;
    const running = state.Running && state.Restarting !== true;
    const startedAt = running ? engineTime(state.StartedAt) : undefined;
    let carried = previous?.carried ?? 0;
    let pendingReset = previous?.pendingReset;
    if (pendingReset && startedAt !== undefined && startedAt !== pendingReset.startedAt) {
      // Started again since Wharf restarted it: Docker 20+ reset its count on that start, an
      // engine that did not still holds at least the restarts it had then.
      if (info.RestartCount < pendingReset.engineRestarts) carried += pendingReset.engineRestarts;
      pendingReset = undefined;
    }
    const finishedAt = engineTime(state.FinishedAt);
    // A running container's ExitCode and OOMKilled are reset by its start: only a stopped one tells how it ended.
    const ended: LastState | undefined =
      !running && finishedAt !== undefined ? lastStateOf(state.ExitCode, state.OOMKilled || previous?.oom === true, finishedAt) : undefined;
    const next: ContainerRecord = {
      engineRestarts: info.RestartCount,
      carried,
      ...(pendingReset ? { pendingReset } : {}),
      ...(startedAt !== undefined ? { startedAt } : {}),
      ...(ended ?? previous?.lastState ? { lastState: (ended ?? previous?.lastState)! } : {}),
      ...(previous?.oom && !ended ? { oom: true } : {}),
    };
    this.records.set(id, next);
    return JSON.stringify(viewed(previous)) !== JSON.stringify(viewed(next));
  }

  /** A `die` event: how it ended, before any inspection (which may come after the next start has reset the exit code). */
  died(id: string, exitCode: number, at: number): boolean {
    const previous = this.records.get(id) ?? { engineRestarts: 0, carried: 0 };
    const { oom: _oom, startedAt: _startedAt, ...rest } = previous;
    this.records.set(id, { ...rest, lastState: lastStateOf(exitCode, previous.oom === true, at) });
    return true;
  }

  /** An `oom` event: Docker sends it before the `die` of the same exit. */
  oomKilled(id: string): void {
    const previous = this.records.get(id) ?? { engineRestarts: 0, carried: 0 };
    this.records.set(id, { ...previous, oom: true });
  }

  /** Wharf is about to restart the container (stop, start): that restart counts, whatever the engine's count does. */
  restartedByWharf(id: string): void {
    const previous = this.records.get(id) ?? { engineRestarts: 0, carried: 0 };
    const pendingReset = previous.pendingReset ?? { engineRestarts: previous.engineRestarts, ...(previous.startedAt !== undefined ? { startedAt: previous.startedAt } : {}) };
    this.records.set(id, { ...previous, carried: previous.carried + 1, pendingReset });
  }

  ids(): string[] {
    return [...this.records.keys()];
  }

  forget(id: string): void {
    this.records.delete(id);
  }

  /** Keeps only the records of these containers (the ones that still exist). */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.records.keys()) if (!ids.has(id)) this.records.delete(id);
  }
}

/** Epoch ms of one of Docker's times; undefined for its zero time ("0001-01-01T00:00:00Z": never). */
export function engineTime(text: string | undefined): number | undefined {
  if (!text || text.startsWith('0001-')) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

function lastStateOf(exitCode: number, oom: boolean, finishedAt: number): LastState {
  const reason = oom ? 'OOMKilled' : exitCode === 0 ? 'Completed' : 'Error';
  return { exitCode, reason, finishedAt: new Date(finishedAt).toISOString() };
}

/** The part of a record that a pod's view shows. */
function viewed(record: ContainerRecord | undefined): unknown {
  return record && [record.carried + record.engineRestarts, record.startedAt, record.lastState];
}
