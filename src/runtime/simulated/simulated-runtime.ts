import type { ContainerStatus } from '../../api/schemas/microservice.js';
import { keyString, parseKey, type ServiceKey } from '../../domain/keys.js';
import type { ObservedPod, ObservedService } from '../../domain/observed.js';
import { describe, type Operation, type PodSpec } from '../../domain/plan.js';
import type { VolumeState } from '../../domain/volumes.js';
import { readConfigMaps } from '../configmaps.js';
import { RuntimeUnavailableError, type ConfigMapSource, type Runtime } from '../runtime.js';

export interface SimulatedOptions {
  /** How long a simulated pod stays `pending` (containers `waiting`) before it runs. */
  startDelayMs: number;
}

/**
 * In-memory pods with timed phase changes, in the manner of KWOK: for tests, demos and scale
 * benchmarks. Nothing runs; every place that shows this runtime says so. A pod waits for the
 * ConfigMaps it reads as it would on a real engine, so tests see what Docker and Kubernetes do.
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

  constructor(private readonly options: SimulatedOptions, private readonly configMaps: ConfigMapSource) {}

  async start(onChange: (key: ServiceKey) => void): Promise<void> {
    this.onChange = onChange;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  observe(key: ServiceKey): ObservedService {
    const pods = this.services.get(keyString(key));
    return { known: this.reachable, pods: pods ? [...pods.values()] : [] };
  }

  observedKeys(): ServiceKey[] {
    return [...this.services.keys()].map(parseKey);
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

  /** Chaos for tests and demos: the pod's containers exit for good, as if the process crashed. */
  failPod(key: ServiceKey, podName: string, reason = 'Error'): void {
    const pod = this.services.get(keyString(key))?.get(podName);
    if (!pod) throw new Error(`no simulated pod ${podName}`);
    pod.status = { phase: 'failed', reason, message: 'the simulated process exited' };
    pod.containerStatuses = pod.containerStatuses.map((status) => ({ ...status, state: 'terminated', reason, message: 'exit code 1', ready: false }));
    pod.ready = false;
    delete pod.readySince;
    this.onChange(key);
  }

  /**
   * Chaos for tests and demos, only through this method (no image name does it by itself): the
   * containers of pods created from now on with `image` crash as soon as they start, and the
   * engine restarts them, again and again: each runs `startDelayMs`, then waits
   * (CrashLoopBackOff) `startDelayMs`, its restartCount growing. The pod stays `running`, as on
   * Kubernetes; it never becomes available, whatever its minReadySeconds, unless that is 0.
   */
  crashLoop(image: string): void {
    this.crashingImages.add(image);
  }

  /** Chaos for tests and demos: the engine stops (or starts again) answering. */
  setReachable(reachable: boolean): void {
    this.reachable = reachable;
    for (const key of this.observedKeys()) this.onChange(key);
  }

  private async createPod(spec: PodSpec): Promise<void> {
    const read = await readConfigMaps(spec.containers, spec.key.project, this.configMaps);
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
    this.onChange(spec.key);
    // No retry: creating the ConfigMap or key changes the pod template hash (podTemplateHash), so
    // the controller replaces this pod with one that finds it.
    if (missing) return;

    const crashing = new Set(spec.containers.filter((container) => this.crashingImages.has(container.image)).map((container) => container.name));
    const later = (step: () => void): void => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        // A pod removed (or failed by failPod) in the meantime changes no more.
        if (pods.get(spec.name) !== created || created.status.phase === 'failed') return;
        step();
        this.onChange(spec.key);
      }, this.options.startDelayMs);
      this.timers.add(timer);
    };
    const pod = created;
    const start = (): void => {
      const now = new Date().toISOString();
      pod.status = { phase: 'running', reason: '', message: '' };
      pod.containerStatuses = pod.containerStatuses.map((status) => ({ ...status, state: 'running', reason: '', message: '', ready: true }));
      pod.ready = true;
      pod.readySince = now;
      if (crashing.size > 0) later(crash);
    };
    // The crashing containers exit; the engine restarts them after a back-off.
    const crash = (): void => {
      pod.containerStatuses = pod.containerStatuses.map((status) =>
        crashing.has(status.name)
          ? { ...status, state: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off restarting failed container: exit code 1', ready: false, restartCount: status.restartCount + 1 }
          : status,
      );
      pod.ready = false;
      delete pod.readySince;
      later(start);
    };
    later(start);
  }

  private removePod(key: ServiceKey, name: string): void {
    const id = keyString(key);
    const pods = this.services.get(id);
    if (!pods?.delete(name)) return;
    if (pods.size === 0) this.services.delete(id);
    this.onChange(key);
  }
}
