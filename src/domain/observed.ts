import type { ContainerStatus, PodPhase } from '../model/service-status.js';
import type { Port } from '../model/service.js';

/** A pod as an engine reports it, already in the seed's vocabulary. */
export interface ObservedPod {
  name: string;
  serviceUid: string;
  revision: number;
  podTemplateHash: string;
  status: { phase: PodPhase; reason: string; message: string };
  containerStatuses: ContainerStatus[];
  /** Every container running (Kubernetes: the pod's Ready condition). Not yet available: see readySince. */
  ready: boolean;
  /**
   * When every container last became running with no restart since; absent while one is not
   * running. A pod is available once this is minReadySeconds old (domain/rollout.ts isAvailable).
   */
  readySince?: string;
  creationTime: string;
  /** Ports published on the engine's host (Docker), so a developer can reach the pod from there. */
  hostPorts?: HostPort[];
}

export interface HostPort {
  port: number;
  protocol: 'TCP' | 'UDP';
  hostPort: number;
}

/** A workload whose pods the engine rolls out itself (a Kubernetes Deployment or StatefulSet), as last applied. */
export interface ObservedWorkload {
  serviceUid: string;
  revision: number;
  podTemplateHash: string;
  /** The pods asked for (0 while stopped); the pods that exist are `ObservedService.pods`. */
  replicas: number;
  ports: Port[];
  /** As applied; absent on a workload that has no such field (a StatefulSet's progress deadline). */
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  /**
   * The engine's own verdict that the rollout of this template ran out of time (a Deployment's
   * Progressing condition with reason ProgressDeadlineExceeded): its message. Absent otherwise.
   */
  progressDeadlineExceeded?: string;
}

/** What the runtime's cache knows of one service. */
export interface ObservedService {
  /** False before the engine was first listed and while it is unreachable: pods are then not trustworthy. */
  known: boolean;
  pods: ObservedPod[];
  /** Only from runtimes whose engine rolls pods out (`Runtime.rollouts === 'engine'`); absent when there is none. */
  workload?: ObservedWorkload;
}
