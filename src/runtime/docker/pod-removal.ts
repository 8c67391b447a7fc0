import { LABEL } from './labels.js';
import { RetriedWork } from './retried-work.js';
import type { ContainerFacts } from './pod-status.js';

export interface RemovalContext {
  /** The pod's containers as the engine has them now. */
  listPod: () => Promise<ContainerFacts[]>;
  /** Stops one container (SIGTERM, SIGKILL at the end of its grace period), then removes it. */
  stopAndRemove: (id: string) => Promise<void>;
  /** An attempt failed; the next one starts in `retryInMs`. */
  failed: (error: unknown, retryInMs: number) => void;
  /** None of the pod's containers is left. */
  removed: () => void;
}

/**
 * Removes one pod in the background and owns retrying it, as PodCreation does for a creation: the
 * reconcile that asked goes on (to the next surge pod) while the containers stop with their grace
 * period. The pod shows `terminating` throughout, which the plan neither counts nor removes again,
 * so a removal that fails is retried here with backoff until the pod is gone; it never comes back
 * as serving. Every attempt lists the pod anew, so it resumes where the last one stopped.
 */
export class PodRemoval extends RetriedWork {
  /** `before`: what must end first, a creation of the pod under way being cancelled. */
  constructor(before: Promise<void>, private readonly context: RemovalContext) {
    super(before);
  }

  protected async attempt(): Promise<void> {
    await removeContainers(await this.context.listPod(), this.context.stopAndRemove);
    this.context.removed();
  }

  protected failed(error: unknown, retryInMs: number): void {
    this.context.failed(error, retryInMs);
  }
}

/** The spec's containers go first, their sandbox last: it holds the network namespace they share. */
async function removeContainers(containers: ContainerFacts[], stopAndRemove: (id: string) => Promise<void>): Promise<void> {
  const isSandbox = (container: ContainerFacts): boolean => container.labels[LABEL.role] === 'sandbox';
  await Promise.all(containers.filter((container) => !isSandbox(container)).map((container) => stopAndRemove(container.id)));
  await Promise.all(containers.filter(isSandbox).map((container) => stopAndRemove(container.id)));
}
