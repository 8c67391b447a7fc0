import type { ContainerStatus, PodPhase } from '../api/schemas/microservice.js';

/** A pod as an engine reports it, already in the seed's vocabulary. */
export interface ObservedPod {
  name: string;
  serviceUid: string;
  revision: number;
  templateHash: string;
  status: { phase: PodPhase; reason: string; message: string };
  containerStatuses: ContainerStatus[];
  /** Every container running: the pod counts as available. */
  ready: boolean;
  creationTime: string;
}

/** What the runtime's cache knows of one service. */
export interface ObservedService {
  /** False before the engine was first listed and while it is unreachable: pods are then not trustworthy. */
  known: boolean;
  pods: ObservedPod[];
}
