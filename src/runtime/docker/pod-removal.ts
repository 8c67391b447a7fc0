import { LABEL } from './labels.js';
import { retryDelayMs, sleep } from './pod-creation.js';
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
export class PodRemoval {
  readonly done: Promise<void>;
  private cancelled = false;
  private readonly wake = new AbortController();

  /** `before`: what must end first, a creation of the pod under way being cancelled. */
  constructor(before: Promise<void>, private readonly context: RemovalContext) {
    this.done = before.then(() => this.run());
  }

  /** Stops retrying; the attempt under way (a stop in its grace period) finishes first. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.wake.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.cancelled; attempt++) {
      try {
        await removeContainers(await this.context.listPod(), this.context.stopAndRemove);
        this.context.removed();
        return;
      } catch (error) {
        if (this.cancelled) return;
        const retryInMs = retryDelayMs(attempt);
        this.context.failed(error, retryInMs);
        await sleep(retryInMs, this.wake.signal);
      }
    }
  }
}

/** The spec's containers go first, their sandbox last: it holds the network namespace they share. */
async function removeContainers(containers: ContainerFacts[], stopAndRemove: (id: string) => Promise<void>): Promise<void> {
  const isSandbox = (container: ContainerFacts): boolean => container.labels[LABEL.role] === 'sandbox';
  await Promise.all(containers.filter((container) => !isSandbox(container)).map((container) => stopAndRemove(container.id)));
  await Promise.all(containers.filter(isSandbox).map((container) => stopAndRemove(container.id)));
}
