import type { Container } from '../../model/container.js';
import type { ContainerStatus } from '../../model/service-status.js';
import type { ProbeKind } from '../../model/probe.js';
import { keyString, parseKey, type ServiceKey } from '../../domain/keys.js';
import type { ObservedPod, ObservedService } from '../../domain/observed.js';
import { describe, type Operation, type PodSpec } from '../../domain/plan.js';
import { activeProbes, INITIAL_PROBE_STATE, isContainerReady, mustRestart, nextProbeState, type ContainerProbes } from '../../domain/probes.js';
import type { Readable } from 'node:stream';
import { findPod } from '../../domain/pods.js';
import type { VolumeState } from '../../domain/volumes.js';
import { podConfigMaps } from '../configmaps.js';
import type { ExecOptions, ExecSession } from '../exec.js';
import { simulatedExec } from './exec.js';
import type { LogOptions, PodRef } from '../logs.js';
import type { EventRecorder } from '../../domain/events.js';
import { PodEventWatcher } from '../pod-events.js';
import { RuntimeUnavailableError, type Runtime } from '../runtime.js';
import type { PodStats } from '../stats.js';
import { simulatedLogs, simulatedStats } from './logs.js';

export interface SimulatedOptions {
  /**
   * How long a simulated pod stays `pending` (containers `waiting`) before it runs; also a crash
   * loop's run and back-off, and ten seconds of probe time (simulatedSecondMs).
   */
  startDelayMs: number;
}

/** Milliseconds of one second of probe time: a probe of the default periodSeconds (10) runs once every startDelayMs. */
export function simulatedSecondMs(options: SimulatedOptions): number {
  return options.startDelayMs / 10;
}

/**
 * In-memory pods with timed phase changes, in the manner of KWOK: for tests, demos and scale
 * benchmarks. Nothing runs; every place that shows this runtime says so. A pod waits for the
 * ConfigMaps it reads as it would on a real engine, so tests see what Docker and Kubernetes do.
 * Probes are simulated (see failProbe): a container with a readiness or startup probe becomes
 * ready only once the probe passed, as on Kubernetes. Removing a pod is instant: a simulated pod
 * has no process to stop, so it never shows `terminating`.
 */
export class SimulatedRuntime implements Runtime {
  readonly kind = 'simulated' as const;
  readonly description = 'simulated: pods exist only in memory, no container runs';
  readonly rollouts = 'wharf' as const;
  private readonly services = new Map<string, Map<string, ObservedPod>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private onChange: (key: ServiceKey) => void = () => {};
  private reachable = true;
  private readonly crashingImages = new Set<string>();
  private readonly failingProbes = new Map<string, Set<ProbeKind>>();
  private readonly podEvents: PodEventWatcher;

  constructor(private readonly options: SimulatedOptions, private readonly events: EventRecorder) {
    this.podEvents = new PodEventWatcher(events, { engineRollouts: false });
  }

  async start(onChange: (key: ServiceKey) => void): Promise<void> {
    this.onChange = (key) => {
      this.podEvents.changed(key, this.observe(key).pods);
      onChange(key);
    };
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get known(): boolean {
    return this.reachable;
  }

  observe(key: ServiceKey): ObservedService {
    const pods = this.services.get(keyString(key));
    return { known: this.reachable, pods: pods ? [...pods.values()] : [] };
  }

  observedKeys(): ServiceKey[] {
    return [...this.services.keys()].map(parseKey);
  }

  /** Runs nothing: the session says so (simulated/exec.ts). */
  async exec(_target: unknown, options: ExecOptions): Promise<ExecSession> {
    if (!this.reachable) throw new RuntimeUnavailableError('the simulated engine is set unreachable');
    return simulatedExec(options);
  }

  /** Every volume is there at once: none exists, as the region's storage type says. */
  volumeStatus(): VolumeState {
    return { status: 'success', message: '' };
  }

  async execute(operation: Operation): Promise<void> {
    if (!this.reachable) throw new RuntimeUnavailableError('the simulated engine is set unreachable');
    if (operation.action === 'create') await this.createPod(operation.pod);
    else if (operation.action === 'remove') this.removePod(operation.key, operation.pod);
    else throw new Error(`the simulated runtime runs single pods, not workloads: ${describe(operation)}`);
  }

  /** A few generated lines that say nothing runs (simulated/logs.ts). */
  async logs(pod: PodRef, options: LogOptions): Promise<Readable> {
    return simulatedLogs(this.podOf(pod), options);
  }

  async stats(pod: PodRef): Promise<PodStats> {
    return simulatedStats(this.podOf(pod));
  }

  private podOf({ key, pod }: PodRef): ObservedPod {
    if (!this.reachable) throw new RuntimeUnavailableError('the simulated engine is set unreachable');
    return findPod(key, this.observe(key), pod);
  }

  /** Chaos for tests and demos: the pod's containers exit for good, as if the process crashed. */
  failPod(key: ServiceKey, podName: string, reason = 'Error'): void {
    const pod = this.services.get(keyString(key))?.get(podName);
    if (!pod) throw new Error(`no simulated pod ${podName}`);
    pod.status = { phase: 'failed', reason, message: 'the simulated process exited' };
    pod.containerStatuses = pod.containerStatuses.map(({ startedAt: _running, ...status }) => ({ ...status, state: 'terminated', reason, message: 'exit code 1', ready: false }));
    pod.ready = false;
    delete pod.readySince;
    this.onChange(key);
  }

  /**
   * Chaos for tests and demos, only through this method (no image name does it by itself): the
   * containers of pods created from now on with `image` crash as soon as they start, and the
   * engine restarts them, again and again: each runs `startDelayMs`, then waits
   * (CrashLoopBackOff) `startDelayMs`, its restartCount growing. The pod stays `running`, as on
   * Kubernetes; it never becomes available, whatever its minReadySeconds, unless that is 0. Each
   * exit shows in the container's lastState (exit code 1, Error). Probes of a crashing container
   * do not run: it never lives long enough.
   */
  crashLoop(image: string): void {
    this.crashingImages.add(image);
  }

  /**
   * Chaos for tests and demos, only through this method (no image name does it by itself): the
   * containers of pods created from now on with `image` fail their `probe` probe, if they have one
   * (a container without that probe is not affected, as on an engine nobody runs the check).
   * - readiness: the container runs but never becomes ready: the pod is not ready, never
   *   available, and its status message names the probe;
   * - liveness, startup: once the probe has failed failureThreshold times in a row the container is
   *   killed (lastState exit code 137, reason Error, as the kubelet reports a probe's kill), waits
   *   out a back-off (CrashLoopBackOff) of `startDelayMs`, and starts again, its restartCount growing.
   *
   * Probes run in simulated time, ten seconds of it to each `startDelayMs` (simulatedSecondMs), so
   * every number of the probe counts and tests stay fast: with the defaults (periodSeconds 10,
   * failureThreshold 3) a readiness probe that passes makes its container ready `startDelayMs`
   * after it starts, a failing liveness probe kills it 3 × `startDelayMs` after it starts.
   * minReadySeconds is not scaled: it is the controller's, in real seconds.
   */
  failProbe(image: string, probe: 'readiness' | 'liveness' | 'startup'): void {
    const kinds = this.failingProbes.get(image) ?? new Set<ProbeKind>();
    kinds.add(`${probe}Probe`);
    this.failingProbes.set(image, kinds);
  }

  /** Chaos for tests and demos: the engine stops (or starts again) answering. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
    for (const key of this.observedKeys()) this.onChange(key);
  }

  private async createPod(spec: PodSpec): Promise<void> {
    const read = podConfigMaps(spec.containers, spec.key.project, spec.configMaps);
    const id = keyString(spec.key);
    const pods = this.services.get(id) ?? new Map<string, ObservedPod>();
    if (pods.has(spec.name)) throw new Error(`simulated pod ${spec.name} already exists`);
    const missing = 'missing' in read ? read.missing : undefined;
    const waiting = (name: string): ContainerStatus =>
      missing
        ? { name, state: 'waiting', reason: 'ConfigMapNotFound', message: missing, ready: false, restartCount: 0 }
        : { name, state: 'waiting', reason: 'ContainerCreating', message: '', ready: false, restartCount: 0 };
    const created: ObservedPod = {
      name: spec.name,
      serviceUid: spec.serviceUid,
      revision: spec.revision,
      podTemplateHash: spec.podTemplateHash,
      status: missing ? { phase: 'pending', reason: 'ConfigMapNotFound', message: missing } : { phase: 'pending', reason: '', message: '' },
      containerStatuses: spec.containers.map((container) => waiting(container.name)),
      ready: false,
      creationTime: new Date().toISOString(),
    };
    pods.set(spec.name, created);
    this.services.set(id, pods);
    if (!missing) this.simulatePulls(spec);
    this.onChange(spec.key);
    // No retry: creating the ConfigMap or key changes the pod template hash (podTemplateHash), so
    // the controller replaces this pod with one that finds it.
    if (missing) return;
    // What this pod's containers will do is fixed now: chaos asked for later affects later pods only.
    new SimulatedPod(
      created,
      spec.containers.map((container) => ({
        spec: container,
        crashing: this.crashingImages.has(container.image),
        failing: new Set(this.failingProbes.get(container.image)),
      })),
      this.options.startDelayMs,
      (step, delayMs) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          // A pod removed (or failed by failPod) in the meantime changes no more.
          if (pods.get(spec.name) !== created || created.status.phase === 'failed') return;
          if (step()) this.onChange(spec.key);
        }, delayMs);
        this.timers.add(timer);
      },
    ).schedule();
  }

  /** What an engine reports before it starts containers, said to be simulated: no image is pulled. */
  private simulatePulls(spec: PodSpec): void {
    for (const { name, image } of spec.containers) {
      const at = { key: spec.key, pod: spec.name, container: name, revision: spec.revision };
      this.events.record({ ...at, type: 'Normal', reason: 'Pulling', message: `pulling image "${image}" (simulated: nothing is pulled)` });
      this.events.record({ ...at, type: 'Normal', reason: 'Pulled', message: `image "${image}" is ready (simulated: no image exists)` });
    }
  }

  private removePod(key: ServiceKey, name: string): void {
    const id = keyString(key);
    const pods = this.services.get(id);
    if (!pods?.delete(name)) return;
    if (pods.size === 0) this.services.delete(id);
    this.onChange(key);
  }
}

/** What one container of a simulated pod does, fixed when the pod is created. */
interface ContainerPlan {
  spec: Container;
  crashing: boolean;
  failing: ReadonlySet<ProbeKind>;
}

/** Runs `step` after `delayMs` unless the pod is gone by then; `step` says whether anything visible changed. */
type Later = (step: () => boolean, delayMs: number) => void;

const PROBE_STATE_KEY: Record<ProbeKind, keyof ContainerProbes> = { startupProbe: 'startup', livenessProbe: 'liveness', readinessProbe: 'readiness' };
const PROBE_NAME: Record<ProbeKind, string> = { startupProbe: 'startup', livenessProbe: 'liveness', readinessProbe: 'readiness' };
// What a failing simulated probe says, where a real one says what it got (HTTP 500, connection refused, …).
const SIMULATED_FAILURE = 'simulated';
// What the kubelet reports for a container it killed (SIGKILL after the grace period) because a probe failed.
const PROBE_KILL_EXIT_CODE = 137;

/**
 * The timeline of one simulated pod: it starts after startDelayMs; then each container crashes
 * and restarts (crashLoop), or runs its probes each on its own period in simulated time, the
 * verdicts following domain/probes.ts as a runtime that really probes does.
 */
class SimulatedPod {
  /** Bumped on each container (re)start: a timer of an earlier run of the container does nothing. */
  private readonly runs: number[];
  private readonly probes: ContainerProbes[];
  private readonly secondMs: number;

  constructor(
    private readonly pod: ObservedPod,
    private readonly containers: ContainerPlan[],
    private readonly startDelayMs: number,
    private readonly later: Later,
  ) {
    this.secondMs = simulatedSecondMs({ startDelayMs });
    this.runs = containers.map(() => 0);
    this.probes = containers.map(() => ({}));
  }

  schedule(): void {
    this.later(() => {
      this.pod.status = { phase: 'running', reason: '', message: '' };
      this.containers.forEach((_, index) => this.start(index));
      this.update();
      return true;
    }, this.startDelayMs);
  }

  private start(index: number): void {
    const plan = this.containers[index]!;
    const run = ++this.runs[index]!;
    this.probes[index] = {};
    this.setStatus(index, { state: 'running', reason: '', message: '', startedAt: new Date().toISOString() });
    if (plan.crashing) {
      this.later(() => this.current(index, run) && this.stop(index, { exitCode: 1, message: 'back-off restarting failed container: exit code 1' }), this.startDelayMs);
      return;
    }
    for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
      const probe = plan.spec[kind];
      if (probe) this.probeAfter(index, run, kind, (probe.initialDelaySeconds + probe.periodSeconds) * this.secondMs);
    }
  }

  private probeAfter(index: number, run: number, kind: ProbeKind, delayMs: number): void {
    this.later(() => (this.current(index, run) ? this.runProbe(index, run, kind) : false), delayMs);
  }

  /** One probe run; schedules the next unless the verdict can no longer change. */
  private runProbe(index: number, run: number, kind: ProbeKind): boolean {
    const plan = this.containers[index]!;
    const probe = plan.spec[kind]!;
    const states = this.probes[index]!;
    const key = PROBE_STATE_KEY[kind];
    const passes = !plan.failing.has(kind);
    // A probe held back (by a startup probe still to pass) runs again next period, as the kubelet's worker does.
    if (activeProbes(plan.spec, states).includes(kind)) {
      states[key] = nextProbeState(states[key] ?? INITIAL_PROBE_STATE, probe, passes, SIMULATED_FAILURE);
    }
    const restart = mustRestart(states);
    if (restart) return this.stop(index, { exitCode: PROBE_KILL_EXIT_CODE, message: `${PROBE_NAME[restart]} probe failed: ${SIMULATED_FAILURE}; back-off restarting the container` });
    // The results never change: once the verdict is what they say, another run would change nothing.
    if (states[key]?.healthy !== passes) this.probeAfter(index, run, kind, probe.periodSeconds * this.secondMs);
    return this.update();
  }

  private current(index: number, run: number): boolean {
    return this.runs[index] === run && this.pod.containerStatuses[index]?.state === 'running';
  }

  /** The container exits (or is killed), waits out its back-off and starts again. */
  private stop(index: number, exit: { exitCode: number; message: string }): boolean {
    const status = this.pod.containerStatuses[index]!;
    this.pod.containerStatuses[index] = {
      name: status.name,
      state: 'waiting',
      reason: 'CrashLoopBackOff',
      message: exit.message,
      ready: false,
      restartCount: status.restartCount + 1,
      lastState: { exitCode: exit.exitCode, reason: 'Error', finishedAt: new Date().toISOString() },
    };
    this.runs[index]!++;
    this.later(() => {
      this.start(index);
      this.update();
      return true;
    }, this.startDelayMs);
    this.update();
    return true;
  }

  private setStatus(index: number, change: Pick<ContainerStatus, 'state' | 'reason' | 'message'> & { startedAt?: string }): void {
    const { startedAt: _left, ...status } = this.pod.containerStatuses[index]!;
    this.pod.containerStatuses[index] = { ...status, ...change, ready: false };
  }

  /**
   * Container and pod readiness from the probe states; readySince is when the pod last became
   * ready. True when anything a client sees changed.
   */
  private update(): boolean {
    const before = JSON.stringify([this.pod.containerStatuses, this.pod.status, this.pod.ready]);
    this.pod.containerStatuses = this.pod.containerStatuses.map((status, index) => {
      if (status.state !== 'running') return status;
      const spec = this.containers[index]!.spec;
      const states = this.probes[index]!;
      const failing = (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).find((kind) => states[PROBE_STATE_KEY[kind]]?.last === false);
      const health = failing ? { reason: 'Unhealthy', message: `${PROBE_NAME[failing]} probe failed: ${SIMULATED_FAILURE}` } : { reason: '', message: '' };
      return { ...status, ...health, ready: isContainerReady(spec, states) };
    });
    const ready = this.pod.containerStatuses.every((status) => status.state === 'running' && status.ready);
    if (ready && !this.pod.ready) this.pod.readySince = new Date().toISOString();
    if (!ready) delete this.pod.readySince;
    this.pod.ready = ready;
    if (this.pod.status.phase === 'running') this.pod.status = ready ? { phase: 'running', reason: '', message: '' } : notReady(this.pod.containerStatuses);
    return JSON.stringify([this.pod.containerStatuses, this.pod.status, this.pod.ready]) !== before;
  }
}

/** A running pod one of whose containers is not ready, in the words the Docker runtime uses. */
function notReady(statuses: ContainerStatus[]): ObservedPod['status'] {
  const container = statuses.find((status) => !status.ready && status.message) ?? statuses.find((status) => !status.ready)!;
  const why = container.state === 'running' ? container.message || 'its probes have not passed yet' : container.reason;
  // The seed's limit of a pod's status message.
  return { phase: 'running', reason: 'ContainersNotReady', message: clip(`container ${container.name} is not ready: ${why}`, 64) };
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}
