// What the engine reports of a service's pods and what Wharf derives from it.
import { Type, type Static } from 'typebox';
import { StringEnum } from './schema-helpers.js';

export const ContainerStatus = Type.Object({
  name: Type.String(),
  state: StringEnum(['running', 'waiting', 'terminated', 'unknown']),
  reason: Type.String(),
  message: Type.String(),
  ready: Type.Boolean({ description: 'the container is running, its startup probe (if any) succeeded and its readiness probe (if any) passes' }),
  restartCount: Type.Integer({ minimum: 0, description: 'how often the engine restarted the container: after a crash or a failed liveness probe' }),
  startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when the container last started; absent while it is not running' })),
  lastState: Type.Optional(
    Type.Object(
      {
        exitCode: Type.Integer(),
        reason: Type.String({ description: 'Error, OOMKilled or Completed' }),
        finishedAt: Type.String({ format: 'date-time' }),
      },
      { description: 'how the container last ended, when it has ended since it was created' },
    ),
  ),
});
export type ContainerStatus = Static<typeof ContainerStatus>;

export const PodPhase = StringEnum(['running', 'pending', 'terminating', 'succeeded', 'failed', 'unknown'], {
  description: 'terminating: Wharf is removing the pod (a rollout replaced it, the service stopped or scaled down)',
});
export type PodPhase = Static<typeof PodPhase>;

export const ServicePhase = StringEnum(['running', 'pending', 'stopped', 'unknown']);
export type ServicePhase = Static<typeof ServicePhase>;

export const RolloutStatus = Type.Object(
  {
    revision: Type.Integer({ description: 'the revision being (or last) rolled out' }),
    state: StringEnum(['progressing', 'complete', 'failed', 'rolledBack']),
    reason: Type.String({ description: 'NewRevision, RolloutComplete, ProgressDeadlineExceeded or RolledBack' }),
    message: Type.String({ description: 'for a failed rollout: the pod that is not available and its last reason' }),
    updateTime: Type.String({ format: 'date-time' }),
  },
  { description: "the current revision's rollout; rolledBack: an automatic rollback opened this revision and it is rolling out" },
);
export type RolloutStatus = Static<typeof RolloutStatus>;

export const ServiceStatus = Type.Object({
  phase: ServicePhase,
  desire: Type.Integer(),
  current: Type.Integer(),
  updated: Type.Integer(),
  available: Type.Integer({ description: 'pods whose containers have all run minReadySeconds without a restart' }),
  unavailable: Type.Integer(),
  rollout: RolloutStatus,
});
export type ServiceStatus = Static<typeof ServiceStatus>;
