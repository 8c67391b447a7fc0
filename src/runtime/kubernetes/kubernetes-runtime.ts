import type { Readable } from 'node:stream';
import type { KubernetesListObject, KubernetesObject, V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ServiceType } from '../../model/service.js';
import type { EventRecorder } from '../../domain/events.js';
import { keyString, parseKey, type ServiceKey } from '../../domain/keys.js';
import type { ObservedPod, ObservedService, ObservedWorkload } from '../../domain/observed.js';
import { describe, type Operation, type WorkloadSpec } from '../../domain/plan.js';
import type { VolumeState } from '../../domain/volumes.js';
import type { ExecOptions, ExecSession } from '../exec.js';
import { PodEventWatcher } from '../pod-events.js';
import { RuntimeUnavailableError, type Runtime } from '../runtime.js';
import { isConnectionError } from '../engine-errors.js';
import { statusOf, WATCH_PATHS, type KubernetesApi, type Workload } from './api.js';
import { applyManifests, deleteServiceObjects } from './apply.js';
import { startKubernetesExec } from './exec.js';
import { ServiceIndexedCache, type CacheEntry } from './cache.js';
import { keyOfObject, MANAGED_SELECTOR, namespaceName, workloadName } from './labels.js';
import { podSizeOf, type PodSize, type ProjectQuota } from './quota.js';
import { Reflector, type ReflectorOptions } from './reflector.js';
import { render } from './render.js';
import type { KubernetesSettings } from './settings.js';
import { toObservedPod, toObservedWorkload } from './status.js';
import { claimState } from './volume-status.js';
import type { LogOptions, PodRef } from '../logs.js';
import type { PodStats } from '../stats.js';
import { podLog } from './logs.js';
import { podMetrics } from './metrics.js';

export interface KubernetesRuntimeOptions {
  region: string;
  settings: KubernetesSettings;
  api: KubernetesApi;
  /** Each project's quota, applied as its namespace's ResourceQuota with every workload. */
  log: Logger;
  /** What the cluster did to pods, read off the pod status changes the watch sees (domain/pod-events.ts). */
  events: EventRecorder;
  /** Between failed lists and watches. */
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  watchTimeoutSeconds?: number;
  /** Told of every relist after a watch's first (the metrics count watch restarts). */
  watchRestarted?: () => void;
}

/** Where a workload is, so stop/start/scale can address it. */
interface WorkloadEntry {
  namespace: string;
  name: string;
  observed: ObservedWorkload;
  /** One pod of its template: the room a Deployment's rollout needs in the namespace's ResourceQuota. */
  podSize: PodSize;
}

/**
 * A cluster as a region: Deployments and StatefulSets roll pods out (`rollouts: 'engine'`),
 * watches on them and on their pods keep the cache fresh.
 */
export class KubernetesRuntime implements Runtime {
  readonly kind = 'kubernetes' as const;
  readonly rollouts = 'engine' as const;
  readonly description: string;
  private readonly workloads: Record<ServiceType, ServiceIndexedCache<WorkloadEntry>> = {
    stateless: new ServiceIndexedCache(),
    stateful: new ServiceIndexedCache(),
  };
  private readonly pods = new ServiceIndexedCache<ObservedPod>();
  /** The state of each volume claim Wharf made, by `<namespace>/<name>`. */
  private readonly claims = new Map<string, VolumeState>();
  /** The watches services' status rests on (`known`). */
  private readonly reflectors: Array<{ start(): Promise<void>; stop(): Promise<void> }> = [];
  private claimReflector: Reflector<V1PersistentVolumeClaim> | undefined;
  private readonly synced = new Map<object, boolean>();
  private readonly appliedNamespaces = new Set<string>();
  private onChange: (key: ServiceKey) => void = () => {};
  private readonly podEvents: PodEventWatcher;

  constructor(private readonly options: KubernetesRuntimeOptions) {
    this.description = `kubernetes: cluster ${options.api.server}, project p in namespace ${options.settings.namespacePrefix}p`;
    this.podEvents = new PodEventWatcher(options.events, { engineRollouts: true });
  }

  async start(onChange: (key: ServiceKey) => void): Promise<void> {
    this.onChange = (key) => {
      this.podEvents.changed(key, this.pods.valuesOf(keyString(key)));
      onChange(key);
    };
    const { api } = this.options;
    this.reflectors.push(
      this.reflect('deployments', () => api.listDeployments(MANAGED_SELECTOR), this.workloads.stateless, (object) => this.workloadEntry(object)),
      this.reflect('statefulsets', () => api.listStatefulSets(MANAGED_SELECTOR), this.workloads.stateful, (object) => this.workloadEntry(object)),
      this.reflect('pods', () => api.listPods(MANAGED_SELECTOR), this.pods, (object) => this.podEntry(object)),
    );
    this.claimReflector = this.reflectClaims();
    await Promise.all([...this.reflectors, this.claimReflector].map((reflector) => reflector.start()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.reflectors, ...(this.claimReflector ? [this.claimReflector] : [])].map((reflector) => reflector.stop()));
  }

  /** The claim as last seen; while the watch is down, that is the last state known. */
  volumeStatus(project: string, volume: string): VolumeState {
    return this.claims.get(objectId(this.namespaceOf(project), volume)) ?? claimState(undefined);
  }

  observe(key: ServiceKey): ObservedService {
    const workload = this.workloadOf(key);
    return { known: this.known, pods: this.pods.valuesOf(keyString(key)), ...(workload ? { workload: workload.entry.observed } : {}) };
  }

  observedKeys(): ServiceKey[] {
    const ids = new Set([...this.workloads.stateless.keys(), ...this.workloads.stateful.keys(), ...this.pods.keys()]);
    return [...ids].map(parseKey);
  }

  async execute(operation: Operation): Promise<void> {
    switch (operation.action) {
      case 'apply':
        return this.answered(this.apply(operation.workload));
      case 'scale':
        return this.answered(this.scale(operation.key, operation.replicas));
      case 'delete':
        return this.answered(this.delete(operation.key));
      default:
        throw new Error(`Kubernetes rolls pods out itself; Wharf does not ${describe(operation)}`);
    }
  }

  /** No HTTP answer at all is an outage (503 to the API, a retry to the controller); an answer, 409 or 500, stays as it is. */
  private async answered<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (error) {
      if (statusOf(error) === undefined && isConnectionError(error)) {
        throw new RuntimeUnavailableError(`the Kubernetes API server ${this.options.api.server} did not answer: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  exec(target: PodRef, options: ExecOptions): Promise<ExecSession> {
    return startKubernetesExec(this.options.api.config, this.namespaceOf(target.key.project), target, options);
  }

  /** Deletes the volume's claim, and so (by the storage class's reclaim policy) its data. */
  async deleteVolume(project: string, volume: string): Promise<void> {
    await this.answered(this.options.api.deleteVolumeClaim(this.namespaceOf(project), volume));
  }

  async deleteConfigMap(project: string, name: string): Promise<void> {
    await this.answered(this.options.api.deleteConfigMap(this.namespaceOf(project), name));
  }

  /** `pods/log` (kubernetes/logs.ts). */
  logs(pod: PodRef, options: LogOptions): Promise<Readable> {
    return podLog(this.options.api.config, this.namespaceOf(pod.key.project), pod.pod, options);
  }

  /** The metrics API, where metrics-server serves it (kubernetes/metrics.ts). */
  stats(pod: PodRef): Promise<PodStats> {
    return podMetrics(this.options.api.config, this.namespaceOf(pod.key.project), pod.pod);
  }

  private namespaceOf(project: string): string {
    return namespaceName(this.options.settings.namespacePrefix, project);
  }

  /**
   * Applies the ConfigMaps the workload carries with it. One missing from the store is left out:
   * its pods wait (CreateContainerConfigError, shown as ConfigMapNotFound) until it is created, which
   * changes the pod template hash and so applies the workload again, with it.
   */
  private async apply(spec: WorkloadSpec): Promise<void> {
    const quota = await this.projectQuota(spec);
    const manifests = render(spec, this.options.settings, { quota });
    const applied = await applyManifests(this.options.api, spec.key, spec.type, manifests, this.appliedNamespaces);
    // What the API server answered is what a watch event will say: the next plan sees it at once.
    this.notify(this.workloads[spec.type].put(this.workloadEntry(applied)));
  }

  /** The project's quota, with the pod size of every other Deployment in its namespace (the applied one is rendered). */
  private async projectQuota(spec: WorkloadSpec): Promise<ProjectQuota> {
    const limits = spec.projectQuota;
    const namespace = this.namespaceOf(spec.key.project);
    const applied = workloadName(spec.key, spec.type);
    const surge = this.workloads.stateless
      .values()
      .filter((entry) => entry.namespace === namespace && entry.name !== applied)
      .map((entry) => entry.podSize);
    return { limits, surge };
  }

  private async scale(key: ServiceKey, replicas: number): Promise<void> {
    const workload = this.workloadOf(key);
    if (!workload) throw new Error(`no workload of ${keyString(key)} is observed yet`);
    const { type, entry } = workload;
    await this.options.api.scaleWorkload(type, entry.namespace, entry.name, replicas);
    const scaled = { ...entry, observed: { ...entry.observed, replicas } };
    this.notify(this.workloads[type].put({ id: objectId(entry.namespace, entry.name), key: keyString(key), value: scaled }));
  }

  private async delete(key: ServiceKey): Promise<void> {
    const namespace = this.namespaceOf(key.project);
    await deleteServiceObjects(this.options.api, namespace, key);
    for (const cache of Object.values(this.workloads)) {
      for (const entry of cache.valuesOf(keyString(key))) this.notify(cache.delete(objectId(entry.namespace, entry.name)));
    }
  }

  private workloadOf(key: ServiceKey): { type: ServiceType; entry: WorkloadEntry } | undefined {
    for (const type of ['stateless', 'stateful'] as const) {
      const entry = this.workloads[type].valuesOf(keyString(key))[0];
      if (entry) return { type, entry };
    }
    return undefined;
  }

  /** Every watch has listed and none has failed since: the cache can be trusted. */
  get known(): boolean {
    return this.reflectors.length > 0 && this.reflectors.every((reflector) => this.synced.get(reflector) === true);
  }

  private reflect<T extends KubernetesObject, V>(
    resource: keyof typeof WATCH_PATHS,
    list: () => Promise<KubernetesListObject<T>>,
    cache: ServiceIndexedCache<V>,
    entryOf: (object: T) => CacheEntry<V>,
  ): Reflector<T> {
    const reflector = new Reflector<T>({
      resource,
      path: WATCH_PATHS[resource],
      list,
      watch: this.options.api.watch,
      labelSelector: MANAGED_SELECTOR,
      onList: (items) => this.notify(cache.replace(items.map(entryOf))),
      onEvent: (type, object) => {
        const entry = entryOf(object);
        this.notify(type === 'DELETED' ? cache.delete(entry.id) : cache.put(entry));
      },
      onSynced: (synced) => {
        const wasKnown = this.known;
        this.synced.set(reflector, synced);
        // Every service's phase turns `unknown`, or back, with the cache's trust.
        if (this.known !== wasKnown) this.notify(this.observedKeys().map(keyString));
      },
      ...this.watchTiming(),
    });
    return reflector;
  }

  /**
   * Volume claims, for `volumeStatus` only: services' status does not wait on them (`known`), so
   * a Wharf whose RBAC predates watching claims still runs services, its volumes `creating`.
   */
  private reflectClaims(): Reflector<V1PersistentVolumeClaim> {
    const { api } = this.options;
    const idOf = (claim: V1PersistentVolumeClaim): string => objectId(claim.metadata?.namespace ?? '', claim.metadata?.name ?? '');
    return new Reflector<V1PersistentVolumeClaim>({
      resource: 'persistentvolumeclaims',
      path: WATCH_PATHS.persistentvolumeclaims,
      list: () => api.listVolumeClaims(MANAGED_SELECTOR),
      watch: api.watch,
      labelSelector: MANAGED_SELECTOR,
      onList: (items) => {
        this.claims.clear();
        for (const claim of items) this.claims.set(idOf(claim), claimState(claim));
      },
      onEvent: (type, claim) => {
        if (type === 'DELETED') this.claims.delete(idOf(claim));
        else this.claims.set(idOf(claim), claimState(claim));
      },
      onSynced: () => {},
      ...this.watchTiming(),
    });
  }

  private watchTiming(): Pick<ReflectorOptions<KubernetesObject>, 'backoff' | 'watchTimeoutSeconds' | 'log' | 'relisted'> {
    return {
      ...(this.options.watchRestarted ? { relisted: this.options.watchRestarted } : {}),
      backoff: this.options.backoff ?? { baseDelayMs: 500, maxDelayMs: 30_000 },
      watchTimeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      log: this.options.log,
    };
  }

  private workloadEntry(workload: Workload): CacheEntry<WorkloadEntry> {
    const namespace = workload.metadata?.namespace ?? '';
    const name = workload.metadata?.name ?? '';
    return {
      id: objectId(namespace, name),
      key: this.keyOf(workload),
      value: { namespace, name, observed: toObservedWorkload(workload), podSize: podSizeOf(workload.spec?.template) },
    };
  }

  private podEntry(pod: V1Pod): CacheEntry<ObservedPod> {
    return { id: objectId(pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''), key: this.keyOf(pod), value: toObservedPod(pod) };
  }

  private keyOf(object: KubernetesObject): string | undefined {
    const key = keyOfObject(this.options.region, this.options.settings.namespacePrefix, object.metadata);
    return key && keyString(key);
  }

  private notify(keys: string[]): void {
    for (const id of keys) this.onChange(parseKey(id));
  }
}

function objectId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

