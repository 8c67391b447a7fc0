import { rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { ContainerSecurity } from '../../config.js';
import type { EventRecorder } from '../../domain/events.js';
import { keyString, type ServiceKey } from '../../domain/keys.js';
import type { ObservedService } from '../../domain/observed.js';
import type { Operation, PodSpec } from '../../domain/plan.js';
import { WharfError } from '../../domain/errors.js';
import type { VolumeSpec, VolumeState } from '../../domain/volumes.js';
import type { ExecOptions, ExecSession } from '../exec.js';
import { PodEventWatcher } from '../pod-events.js';
import { RuntimeUnavailableError, type Runtime, type VolumeSource } from '../runtime.js';
import { engineMessage, isConnectionError, statusOf } from './client.js';
import { ContainerHealthMonitor, type HealthOptions } from './container-health.js';
import { EngineWatch, type WatchOptions } from './engine-watch.js';
import { startDockerExec } from './exec.js';
import { containerName, volumeName, type Owner } from './labels.js';
import { migrateLegacyLayout } from './migration.js';
import { ProjectNetworks } from './network.js';
import { hasImage } from './images.js';
import { claimRegion } from './ownership.js';
import { PodCache, podId } from './pod-cache.js';
import { PodCreation } from './pod-creation.js';
import { PodRemoval } from './pod-removal.js';
import { pullEvents } from './pull-events.js';
import type { PodSettings } from './pod-spec.js';
import { VolumeStates } from './volume-states.js';
import { checkVolumeOwner, VolumeConflictError, type VolumeDriver } from './volumes.js';
import type { LogOptions, PodRef } from '../logs.js';
import type { PodStats } from '../stats.js';
import { containerLogs } from './logs.js';
import { podStats } from './stats.js';

export interface DockerRuntimeOptions extends WatchOptions {
  /** Where the engine listens, for the start-up log and the region listing. */
  address: string;
  region: string;
  sandboxImage: string;
  publishPorts: boolean;
  publishAddress: string;
  security: ContainerSecurity;
  /** This Wharf's id: labels every object it creates, and it touches no object labelled with another. */
  instanceId: string;
  stopGraceSeconds: number;
  /** ConfigMap files live in `<configMapRoot>/<project>/<name>/<digest>/`, on the engine's host. */
  configMapRoot: string;
  /** The store's volumes of the region, made on the engine (with their storage type's driver) at every connect. */
  volumes: VolumeSource;
  /** By storage type; a type without one uses Docker's `local` driver. */
  volumeDrivers: ReadonlyMap<string, VolumeDriver>;
  /** Tests replace how probes run and how time passes for them. */
  prober?: HealthOptions['prober'];
  /** What the engine did to pods: pulls, starts, exits, back-offs, probe failures. */
  events: EventRecorder;
  /** Whether this replica leads the region: a follower observes and probes, and changes nothing. */
  leads(): boolean;
}

/**
 * Pods on one Docker host (DESIGN.md §2 "Docker mapping"): a sandbox container holding the network
 * namespace plus one container per spec container. Reads come from the cache that `EngineWatch`
 * keeps; `execute` updates the cache itself before it resolves, so the next plan sees its effect.
 */
export class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  /** Docker has no workload object: Wharf's plan rolls pods out one by one. */
  readonly rollouts = 'wharf' as const;
  readonly description: string;
  private readonly owner: Owner;
  private readonly health: ContainerHealthMonitor;
  private readonly cache: PodCache;
  private readonly networks: ProjectNetworks;
  private readonly watch: EngineWatch;
  private readonly creations = new Map<string, PodCreation>();
  private readonly removals = new Map<string, PodRemoval>();
  private readonly volumeStates: VolumeStates;
  private readonly podEvents: PodEventWatcher;
  private onChange: (key: ServiceKey) => void = () => {};
  private hostCpus = 1;
  private sandboxImageWarned = false;
  private volumeLookTimer: NodeJS.Timeout | undefined;

  constructor(private readonly docker: Docker, private readonly options: DockerRuntimeOptions, private readonly log: Logger) {
    this.description = `docker: pods are containers of the Docker engine at ${options.address}`;
    this.owner = { region: options.region, instanceId: options.instanceId };
    this.networks = new ProjectNetworks(docker, this.owner);
    this.volumeStates = new VolumeStates(docker, this.owner, options.volumeDrivers, options.volumes);
    this.podEvents = new PodEventWatcher(options.events, { engineRollouts: false });
    this.health = new ContainerHealthMonitor({
      docker,
      log,
      stopGraceSeconds: options.stopGraceSeconds,
      notify: (key) => this.changed(key),
      leads: options.leads,
      ...(options.prober ? { prober: options.prober } : {}),
    });
    this.cache = new PodCache((facts) => this.health.healthOf(facts));
    this.watch = new EngineWatch(docker, this.owner, this.cache, (keys) => keys.forEach((key) => this.changed(key)), () => this.onConnect(), log, options, {
      event: (event) => this.health.event(event),
      listed: (ids) => this.health.retain(ids),
    });
  }

  async start(onChange: (key: ServiceKey) => void): Promise<void> {
    this.onChange = onChange;
    await this.watch.start();
    // The leader makes the volumes and knows how that went; another replica learns it by looking again.
    this.volumeLookTimer = setInterval(() => {
      if (this.options.leads() || !this.watch.connected) return;
      this.volumeStates.sync({ make: false }).catch((error: unknown) => this.log.warn({ err: engineMessage(error) }, 'looking at the region\'s volumes failed'));
    }, this.options.resyncIntervalMs);
    this.volumeLookTimer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.volumeLookTimer);
    this.watch.close();
    this.health.close();
    await this.cancelWork();
  }

  /**
   * Another replica may lead now and decide otherwise: creations stop after their engine call
   * under way, removals stop retrying, and those pods show as the engine has them.
   */
  async relinquish(): Promise<void> {
    const busy = this.cache.keys().flatMap((key) => this.cache.entries(key).filter((pod) => pod.busy).map((pod) => ({ key, name: pod.name })));
    await this.cancelWork();
    for (const { key, name } of busy) this.cache.release(key, name);
    await Promise.all(busy.map(({ key, name }) => this.watch.refreshPod(key, name)));
    for (const { key } of busy) this.changed(key);
  }

  /** Stops every pod creation and removal under way, each after its engine call in flight. */
  private async cancelWork(): Promise<void> {
    const work = [...this.creations.values(), ...this.removals.values()];
    this.creations.clear();
    this.removals.clear();
    await Promise.all(work.map((each) => each.cancel()));
  }

  get known(): boolean {
    return this.watch.connected;
  }

  observe(key: ServiceKey): ObservedService {
    return { known: this.watch.connected, pods: this.cache.views(key) };
  }

  observedKeys(): ServiceKey[] {
    return this.cache.keys();
  }

  async execute(operation: Operation): Promise<void> {
    if (!this.watch.connected) throw new RuntimeUnavailableError(`the Docker engine at ${this.options.address} does not answer`);
    try {
      switch (operation.action) {
        case 'create':
          return this.createPod(operation.pod);
        case 'remove':
          // Not awaited: the pod shows terminating already, and the plan counts on nothing more.
          void this.removePod(operation.key, operation.pod, operation.cause);
          return;
        default:
          throw new Error(`the Docker runtime rolls pods out itself; it cannot ${operation.action} a workload`);
      }
    } catch (error) {
      if (!isConnectionError(error)) throw error;
      this.watch.lost(error);
      throw new RuntimeUnavailableError(`the Docker engine at ${this.options.address} does not answer: ${engineMessage(error)}`);
    }
  }

  async exec(target: PodRef, options: ExecOptions): Promise<ExecSession> {
    if (!this.watch.connected) throw new RuntimeUnavailableError(`the Docker engine at ${this.options.address} does not answer`);
    return startDockerExec(this.docker, containerName(target.key, target.pod, options.container), target, options, this.options.address);
  }

  createVolume(volume: VolumeSpec): void {
    this.volumeStates.create(volume);
  }

  volumeStatus(project: string, volume: string): VolumeState {
    return this.volumeStates.state(project, volume);
  }

  /**
   * Removes the named volume `wharf_<region>_<project>_<volume>` and its data; one that never
   * existed is already gone. One that another Wharf, region or project made is refused. Only while
   * the region is connected: before, a legacy volume may not have been moved to the name yet.
   */
  async deleteVolume(project: string, volume: string): Promise<void> {
    if (!this.watch.connected) throw new RuntimeUnavailableError(`the Docker engine at ${this.options.address} is not connected`);
    try {
      await checkVolumeOwner(this.docker, this.owner, project, volume);
      await this.docker.getVolume(volumeName(this.owner.region, project, volume)).remove();
      this.volumeStates.forget(project, volume);
    } catch (error) {
      if (error instanceof VolumeConflictError) throw new WharfError('OperationForbbiden', `${error.message}; it was not deleted`);
      const status = statusOf(error);
      if (status === 404) return this.volumeStates.forget(project, volume);
      if (status === 409) throw new WharfError('VolumeInUse', `volume "${volume}" is still held by a container being removed; try again shortly`);
      if (isConnectionError(error)) throw new RuntimeUnavailableError(`the Docker engine at ${this.options.address} does not answer`);
      throw error;
    }
  }

  /** The Engine's logs API (docker/logs.ts). */
  logs(pod: PodRef, options: LogOptions): Promise<Readable> {
    return containerLogs(this.docker, this.cache.entries(pod.key), pod, options, this.options.address);
  }

  /** The Engine's stats API (docker/stats.ts). */
  stats(pod: PodRef): Promise<PodStats> {
    return podStats(this.docker, this.cache.entries(pod.key), pod, this.options.address);
  }

  /** Removes the files of every content the ConfigMap had. */
  async deleteConfigMap(project: string, name: string): Promise<void> {
    await rm(this.configMapDir(project, name), { recursive: true, force: true });
    // The project's directory goes with its last ConfigMap; ENOTEMPTY: another one is there.
    await rmdir(join(this.options.configMapRoot, project)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'ENOENT') throw error;
    });
  }

  private configMapDir(project: string, name: string): string {
    return join(this.options.configMapRoot, project, name);
  }

  /** Shows the pod pending at once and creates it in the background (see PodCreation). */
  private createPod(spec: PodSpec): void {
    const id = podId(spec.key, spec.name);
    if (this.creations.has(id)) throw new Error(`pod ${spec.name} is already being created`);
    // Its containers would take the names of the old pod's (a stateful pod's); the plan waits for it to go.
    if (this.removals.has(id)) throw new Error(`pod ${spec.name} is still being removed`);
    const creationTime = new Date().toISOString();
    this.cache.setProgress({ spec, creationTime, reason: 'ContainerCreating', message: '' });
    this.changed(spec.key);
    const creation = new PodCreation(spec, {
      docker: this.docker,
      networks: this.networks,
      settings: () => this.podSettings(),
      configMapDir: (project, name) => this.configMapDir(project, name),
      ensureVolume: (project, volume, storageType) => this.volumeStates.ensure(project, volume, storageType),
      listPod: (pod) => this.watch.listPod(pod.key, pod.name),
      report: (pod, reason, message) => {
        if (this.creations.get(id) !== creation) return;
        this.cache.setProgress({ spec: pod, creationTime, reason, message });
        this.changed(pod.key);
      },
      settle: (pod, containers) => {
        this.creations.delete(id);
        this.cache.settle(pod.key, pod.name, containers);
        this.changed(pod.key);
      },
      pulls: (pod, role) => pullEvents(this.options.events, pod, role),
    });
    this.creations.set(id, creation);
  }

  /**
   * Shows the pod `terminating` at once and removes it in the background (see PodRemoval): its
   * containers stop with SIGTERM and their grace period (Docker kills at its end), then go, the
   * sandbox last. A creation under way stops first, so nothing it makes survives. A removal of the
   * pod already under way is the one: no container is stopped by two at once. Resolves once the
   * pod is gone (or the runtime closes).
   */
  private removePod(key: ServiceKey, name: string, cause = 'Wharf removes the pod'): Promise<void> {
    const id = podId(key, name);
    const underWay = this.removals.get(id);
    if (underWay) return underWay.done;
    const creation = this.creations.get(id);
    this.creations.delete(id);
    this.cache.setRemoving(key, name, cause);
    this.changed(key);
    const removal = new PodRemoval(creation?.cancel() ?? Promise.resolve(), {
      listPod: () => this.watch.listPod(key, name),
      stopAndRemove: (containerId) => this.stopAndRemove(containerId),
      failed: (error, retryInMs) => {
        if (isConnectionError(error)) this.watch.lost(error);
        const why = engineMessage(error);
        this.log.warn({ service: keyString(key), pod: name, err: why, retryInMs }, 'removing a pod failed; trying again');
        this.options.events.record({ key, pod: name, type: 'Warning', reason: 'FailedKillPod', message: `stopping pod ${name} failed: ${why}` });
        this.cache.setRemoving(key, name, `${cause}; stopping it failed, trying again in ${retryInMs / 1000} s: ${why}`);
        this.changed(key);
      },
      removed: () => {
        this.removals.delete(id);
        this.cache.remove(key, name);
        this.changed(key);
        void this.pruneNetworks();
      },
    });
    this.removals.set(id, removal);
    return removal.done;
  }

  /** The service's pods changed: the container health monitor follows them, the controller re-plans. */
  private changed(key: ServiceKey): void {
    this.health.observe(key, this.cache.entries(key));
    this.podEvents.changed(key, this.cache.views(key));
    this.onChange(key);
  }

  /** Projects with a pod keep their network (the cache shows a pod being created too); the others' go. */
  private async pruneNetworks(): Promise<void> {
    const inUse = new Set(this.cache.keys().filter((key) => this.cache.views(key).length > 0).map((key) => key.project));
    await this.networks.prune(inUse).catch((error: unknown) => this.log.warn({ err: engineMessage(error) }, 'removing unused project networks failed; trying again later'));
  }

  private async stopAndRemove(id: string): Promise<void> {
    const container = this.docker.getContainer(id);
    // 304: already stopped; 404: already gone; 409: a removal is already under way.
    const tolerate = (codes: number[]) => (error: unknown): void => {
      if (!codes.includes(statusOf(error) ?? 0)) throw error;
    };
    await container.stop({ t: this.options.stopGraceSeconds }).catch(tolerate([304, 404]));
    await container.remove({ force: true }).catch(tolerate([404, 409]));
  }

  private podSettings(): PodSettings {
    const { region, instanceId, sandboxImage, publishPorts, publishAddress, security, stopGraceSeconds } = this.options;
    return { region, instanceId, sandboxImage, publishPorts, publishAddress, security, stopGraceSeconds, hostCpus: this.hostCpus };
  }

  /** Once: offline, a missing sandbox image is why every pod waits, and nothing in a service names it. */
  private async checkSandboxImage(): Promise<void> {
    const image = this.options.sandboxImage;
    if (this.sandboxImageWarned || (await hasImage(this.docker, image))) return;
    this.sandboxImageWarned = true;
    this.log.warn(
      { image },
      'the sandbox image every pod needs is not on the Docker engine: the first pod pulls it; offline, set WHARF_SANDBOX_IMAGE or the region\'s docker.sandboxImage to an image the engine has',
    );
  }

  /**
   * A (re)connected engine may be another daemon: networks may be gone, the CPU count changed,
   * another Wharf may have claimed the region meanwhile. The claim comes before anything is
   * touched, the migration of a legacy layout before any pod is listed or created.
   */
  private async onConnect(): Promise<void> {
    this.networks.forget();
    this.health.reconnected();
    const info = (await this.docker.info()) as { NCPU?: number; ServerVersion?: string };
    this.hostCpus = info.NCPU ?? 1;
    this.log.info({ version: info.ServerVersion, cpus: this.hostCpus }, 'connected to the Docker engine');
    const { address, sandboxImage } = this.options;
    await claimRegion(this.docker, { ...this.owner, address });
    await this.checkSandboxImage();
    // A follower's cleanup could race the leader's work: a network pruned just before its first pod.
    if (!this.options.leads()) return this.volumeStates.sync({ make: false });
    await migrateLegacyLayout({
      docker: this.docker,
      owner: this.owner,
      sandboxImage,
      networks: this.networks,
      removePod: (key, pod) => this.removePod(key, pod),
      log: this.log,
    });
    // After the migration: a legacy volume is moved to its name before one would be made empty there.
    await this.volumeStates.sync({ make: true });
    await this.pruneNetworks();
  }
}
