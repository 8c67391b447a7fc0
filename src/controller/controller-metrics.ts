/** How a rollout ended, as the controller sees its state change. */
export type RolloutOutcome = 'complete' | 'failed' | 'rolledBack';

/** What the controller reports for the metrics (src/metrics.ts); the controller knows nothing of Prometheus. */
export interface ControllerMetrics {
  /** One reconcile took `seconds`; `failed`: it threw and is retried with backoff. */
  reconciled(seconds: number, failed: boolean): void;
  /** A rollout reached an end state. */
  rolloutEnded(outcome: RolloutOutcome): void;
}

export const NO_CONTROLLER_METRICS: ControllerMetrics = { reconciled: () => {}, rolloutEnded: () => {} };
