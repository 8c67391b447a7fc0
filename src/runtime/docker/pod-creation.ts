import type Docker from 'dockerode';
import type { PodSpec } from '../../domain/plan.js';
import { engineMessage, isConnectionError, statusOf } from './client.js';
import { createPulling, ImagePullError, imageUser, type PullReport } from './images.js';
import { LABEL } from './labels.js';
import { podConfigMaps } from '../configmaps.js';
import { writeConfigMapFiles, type PodConfigMap } from './configmaps.js';
import type { ProjectNetworks } from './network.js';
import { RetriedWork } from './retried-work.js';
import type { ContainerFacts } from './pod-status.js';
import { containerOptions, sandboxOptions, type PodSettings } from './pod-spec.js';
import { runAsNonRootViolation } from './security.js';
import { VolumeConflictError } from './volumes.js';

export interface CreationContext {
  docker: Docker;
  networks: ProjectNetworks;
  settings: () => PodSettings;
  /** The host directory of a ConfigMap's files (the engine must see the same path). */
  configMapDir: (project: string, name: string) => string;
  /** Makes a volume on the engine unless it is there (with its storage type's driver, if any); returns its engine name. */
  ensureVolume: (project: string, volume: string, storageType: string | undefined) => Promise<string>;
  listPod: (spec: PodSpec) => Promise<ContainerFacts[]>;
  /** The creation is stuck for `reason` and will try again. */
  report: (spec: PodSpec, reason: string, message: string) => void;
  /** Every container runs (as far as the engine said when listed). */
  settle: (spec: PodSpec, containers: ContainerFacts[]) => void;
  /** Told of the pulls creating a container (`sandbox` or a spec container) needs. */
  pulls: (spec: PodSpec, role: string) => PullReport;
}

/** Failed starts of one container after which it is removed and made anew. */
const STARTS_BEFORE_RECREATE = 2;

/** A step failed for a reason the pod's status shows (Kubernetes' waiting reasons). */
class StepError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

/**
 * Creates one pod in the background and owns retrying it: the plan never re-issues a create for a
 * pod the cache shows, so an image that cannot be pulled or a container that cannot start is
 * retried here with backoff, the pod pending with the reason, until it runs or is removed.
 * Every attempt after the first starts from what the engine has for the pod, so it resumes.
 */
export class PodCreation extends RetriedWork {
  /** Starts the engine refused, by role (`sandbox` or a container's name), since the container was made. */
  private readonly failedStarts = new Map<string, number>();

  constructor(private readonly spec: PodSpec, private readonly context: CreationContext) {
    super();
  }

  protected async attempt(attempt: number): Promise<void> {
    const existing = attempt === 0 ? [] : await this.context.listPod(this.spec);
    await this.createMissing(existing);
    const containers = await this.context.listPod(this.spec);
    if (!this.cancelled) this.context.settle(this.spec, containers);
  }

  protected failed(error: unknown): void {
    this.context.networks.forget(this.spec.key.project);
    const { reason, message } = failureOf(error);
    this.context.report(this.spec, reason, message);
  }

  protected override backedOff(error: unknown): void {
    const { reason, message } = failureOf(error);
    if (reason === 'ErrImagePull') this.context.report(this.spec, 'ImagePullBackOff', `Back-off pulling image: ${message}`);
  }

  private async createMissing(existing: ContainerFacts[]): Promise<void> {
    const configMaps = await this.prepareConfigMaps();
    const { networks } = this.context;
    const settings = this.context.settings();
    const { key } = this.spec;
    const network = await step('CreatePodSandboxError', () => networks.ensure(key.project));
    const volumes = new Set(this.spec.containers.flatMap((container) => container.volumeMounts.map((mount) => mount.volumeName)));
    for (const volume of volumes) {
      await step('CreateContainerError', () => this.context.ensureVolume(key.project, volume, this.spec.volumes.get(volume)?.storageType));
    }

    const earlierSandbox = existing.find((facts) => facts.labels[LABEL.role] === 'sandbox')?.id;
    const sandboxId = await this.ensureRunning(existing, 'sandbox', sandboxOptions(this.spec, network, settings));
    if (earlierSandbox !== undefined && earlierSandbox !== sandboxId) {
      // A new sandbox: containers made for the old one share a network namespace that is gone.
      for (const stale of existing.filter((facts) => facts.labels[LABEL.role] !== 'sandbox')) await this.removeContainer(stale.id);
      existing = [];
    }
    for (const container of this.spec.containers) {
      await this.ensureRunning(existing, container.name, containerOptions(this.spec, container, sandboxId, settings, configMaps));
    }
  }

  /**
   * Writes the files of the ConfigMaps the pod carries. One that is missing, or lacks a key an env
   * reads, keeps the pod waiting (DESIGN.md §3) rather than starting without it; its creation
   * changes the pod template hash, so the roll it causes starts a new pod that carries it.
   */
  private async prepareConfigMaps(): Promise<Map<string, PodConfigMap>> {
    const { project } = this.spec.key;
    const read = podConfigMaps(this.spec.containers, project, this.spec.configMaps);
    if ('missing' in read) throw new StepError('ConfigMapNotFound', read.missing);
    const prepared = new Map<string, PodConfigMap>();
    for (const [name, content] of read.found) {
      const hostDir = await step('CreateContainerConfigError', () => writeConfigMapFiles(this.context.configMapDir(project, name), content));
      prepared.set(name, { data: content.data, hostDir });
    }
    return prepared;
  }

  /** Creates (pulling its image if missing) and starts one container unless it already runs; returns its id. */
  private async ensureRunning(existing: ContainerFacts[], role: string, options: Docker.ContainerCreateOptions): Promise<string> {
    if (this.cancelled) throw new StepError('Cancelled', 'the pod is being removed');
    const { docker } = this.context;
    let found = existing.find((facts) => (facts.labels[LABEL.role] === 'sandbox' ? 'sandbox' : facts.labels[LABEL.container]) === role);
    const failedStarts = this.failedStarts.get(role) ?? 0;
    // Left by an earlier pod of the same name: never adopt a container of another template. Or one
    // the engine keeps refusing to start: a dockerd killed mid-start can leave its task behind in
    // containerd ("task … already exists"), and only a new container gets past it.
    if (found && (found.labels[LABEL.templateHash] !== this.spec.podTemplateHash || failedStarts >= STARTS_BEFORE_RECREATE)) {
      await this.removeContainer(found.id);
      this.failedStarts.delete(role);
      found = undefined;
    }
    const id = found?.id ?? (await step('CreateContainerError', () => this.create(role, options))).id;
    if (found?.state !== 'running' && found?.state !== 'restarting') {
      await step('RunContainerError', () => docker.getContainer(id).start()).catch((error: unknown) => {
        if (!isConnectionError(error)) this.failedStarts.set(role, (this.failedStarts.get(role) ?? 0) + 1);
        throw error;
      });
    }
    return id;
  }

  private async removeContainer(id: string): Promise<void> {
    await this.context.docker.getContainer(id).remove({ force: true }).catch((error: unknown) => {
      if (statusOf(error) !== 404) throw error;
    });
  }

  private async create(role: string, options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    const { docker } = this.context;
    if (this.context.settings().security.runAsNonRoot) {
      // Checked before creating, as kubelet does: a container that would run as root never starts.
      const image = options.Image!;
      const violation = runAsNonRootViolation(options.User ?? (await imageUser(docker, image, this.context.pulls(this.spec, role))));
      if (violation) throw new StepError('CreateContainerConfigError', `container has runAsNonRoot and ${violation} (container "${role}", image "${image}")`);
    }
    return createPulling(docker, options, this.context.pulls(this.spec, role)).catch((error: unknown) => {
      if (role !== 'sandbox' || !(error instanceof ImagePullError)) throw error;
      // Every pod needs the sandbox image, and nothing in a service names it: say which setting does.
      throw new StepError('ErrImagePull', `the pod's sandbox image: ${error.message}; set WHARF_SANDBOX_IMAGE or the region's docker.sandboxImage to an image this engine has or can pull`);
    });
  }
}

/** Runs one engine call, labelling its failure with the reason the pod will show. */
async function step<T>(reason: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StepError || isConnectionError(error)) throw error;
    // The named volume is someone else's: the pod waits, naming whose, until an operator resolves it.
    if (error instanceof VolumeConflictError) throw new StepError('VolumeConflict', error.message);
    throw new StepError(error instanceof ImagePullError ? 'ErrImagePull' : reason, engineMessage(error));
  }
}

function failureOf(error: unknown): { reason: string; message: string } {
  if (error instanceof StepError) return { reason: error.reason, message: error.message };
  if (isConnectionError(error)) return { reason: 'EngineUnavailable', message: `the Docker engine did not answer: ${engineMessage(error)}` };
  return { reason: 'CreateContainerError', message: engineMessage(error) };
}
