import type { Readable } from 'node:stream';
import { WharfError } from '../domain/errors.js';
import type { EventRecorder } from '../domain/events.js';
import type { ExecOptions, ExecSession } from './exec.js';
import type { RuntimeKind } from '../model/region.js';
import type { ServiceKey } from '../domain/keys.js';
import type { ObservedService } from '../domain/observed.js';
import type { Operation } from '../domain/plan.js';
import type { VolumeSpec, VolumeState } from '../domain/volumes.js';
import type { LogOptions, PodRef } from './logs.js';
import type { PodStats } from './stats.js';

/**
 * An engine driver. It knows nothing of HTTP or of rollout rules (those are the plan's):
 * it observes pods into a cache and executes one operation at a time.
 */
export interface Runtime {
  readonly kind: RuntimeKind;
  /** One line for the start-up log and the region listing; a simulated runtime says so. */
  readonly description: string;
  /**
   * Who rolls pods out. `wharf`: the controller plans pod by pod (domain/plan.ts) and the driver
   * creates and removes single pods. `engine`: the engine rolls pods out of a workload itself
   * (Kubernetes' Deployment, StatefulSet), so the controller plans whole workloads
   * (domain/workload-plan.ts).
   */
  readonly rollouts: 'wharf' | 'engine';
  /**
   * Connects and lists what the engine has, then keeps the cache fresh from engine events,
   * calling `onChange` for every service whose pods changed (or all of them on a reconnect).
   */
  start(onChange: (key: ServiceKey) => void): Promise<void>;
  close(): Promise<void>;
  /**
   * This replica stopped leading the region: the engine changes it still has under way on its own
   * (a driver's background pod creations and removals) stop, so that only the new leader changes
   * the engine. Absent: the runtime does nothing between operations.
   */
  relinquish?(): Promise<void>;
  /** Whether the cache can be trusted (`ObservedService.known`), without building a service's view. */
  readonly known: boolean;
  /** The cached pods of a service. Never waits on the engine: the API reads through it. */
  observe(key: ServiceKey): ObservedService;
  /** Every service the engine has pods for, including ones the store no longer knows. */
  observedKeys(): ServiceKey[];
  /**
   * Runs a command in a container of a pod (runtime/exec.ts). Refuses with 404 NotFound for a
   * container the engine does not have, 400 InvalidArgs for one not running, 503 when the engine
   * does not answer: before the command starts, so the API can still answer over HTTP.
   */
  exec(target: PodRef, options: ExecOptions): Promise<ExecSession>;
  /** One engine call. Once it resolves, `observe` reflects it, so a next plan never repeats it. */
  execute(operation: Operation): Promise<void>;
  /**
   * Makes the volume on the engine now, rather than when a service first mounts it, so that its
   * status tells whether the engine can (the API created it). Returns at once; `volumeStatus`
   * follows. Absent: the engine makes volumes on first mount only.
   */
  createVolume?(volume: VolumeSpec): void;
  /** What the engine has of a volume, from the runtime's cache: reads never wait on the engine. */
  volumeStatus(project: string, volume: string): VolumeState;
  /** Removes a volume and its data from the engine (the API deletes it). Absent: the engine keeps no volumes. */
  deleteVolume?(project: string, volume: string): Promise<void>;
  /** Removes what the engine keeps of a ConfigMap the API deleted. */
  deleteConfigMap?(project: string, name: string): Promise<void>;
  /**
   * One container's log bytes (runtime/logs.ts), resolved once the engine answered. Destroying
   * the stream closes the engine's. 404 NotFound: the engine has no such pod or container; 400
   * InvalidArgs: `previous` of a container that never terminated.
   */
  logs(pod: PodRef, options: LogOptions): Promise<Readable>;
  /** One sample of the pod's CPU, memory and network use. 501 NotImplemented: the engine cannot measure it. */
  stats(pod: PodRef): Promise<PodStats>;
}

/**
 * The volumes of the runtime's region as the store has them, for a runtime that makes them on the
 * engine when it connects. A pod's volumes are carried on its operation instead (PodSpec.volumes).
 */
export interface VolumeSource {
  /** Every volume of the region. */
  all(): Promise<VolumeSpec[]>;
}

/** What a runtime gets from Wharf besides its region's settings. */
export interface RuntimeContext {
  /** This Wharf's id (store/instance.ts): the owner label of every engine object it creates. */
  instanceId: string;
  volumes: VolumeSource;
  /** Wharf's data directory: the Docker runtime keeps ConfigMap files under it. */
  dataDir: string;
  /**
   * What the engine did to pods and containers (pulled, started, crashed, failed a probe) goes here.
   * Every replica observes the engine; only the region's leader records (see `leads`).
   */
  events: EventRecorder;
  /**
   * Whether this replica leads the region (controller/leader-election.ts). Only the leader changes
   * anything on the engine, even outside an operation: a liveness restart, a cleanup at connect.
   */
  leads(): boolean;
  /** The engine watch started over (Docker's event stream reconnected, a Kubernetes watch relisted): the metrics count it. */
  engineWatchRestarted?: () => void;
}

/**
 * The engine did not answer: the one error of every runtime for an outage. The controller retries
 * with backoff and the API reports phase `unknown`; a request that needed the engine gets 503
 * RuntimeUnavailable.
 */
export class RuntimeUnavailableError extends WharfError {
  constructor(message: string) {
    super('RuntimeUnavailable', message);
    this.name = 'RuntimeUnavailableError';
  }
}
