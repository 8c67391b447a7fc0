import type Docker from 'dockerode';
import type { VolumeSpec, VolumeState } from '../../domain/volumes.js';
import type { VolumeSource } from '../runtime.js';
import { engineMessage, isConnectionError } from './client.js';
import { isOwnedBy, regionFilter, volumeConflict, volumeName, type Owner } from './labels.js';
import { ensureVolume, VolumeConflictError, type VolumeDriver } from './volumes.js';

const CREATING: VolumeState = { status: 'creating', message: '' };
const SUCCESS: VolumeState = { status: 'success', message: '' };

/**
 * What the engine has of each volume of the region, for `volumeStatus`, and the calls that change
 * it. A volume is made when the API creates it (or a service mounts it first), not only on first
 * mount, so that its status says whether the engine can make it: `creating` until the engine has
 * it, `success` once it does, `error` with the engine's reason when it refuses. Until the engine
 * answers, a volume stays `creating`; every (re)connect makes what the store has and the engine
 * lacks.
 */
export class VolumeStates {
  private readonly states = new Map<string, VolumeState>();
  /** Whether a sync has begun: only then is the region this Wharf's to make volumes in. */
  private synced = false;

  constructor(
    private readonly docker: Docker,
    private readonly owner: Owner,
    /** By storage type; a type without one uses Docker's `local` driver. */
    private readonly drivers: ReadonlyMap<string, VolumeDriver>,
    private readonly volumes: VolumeSource,
  ) {}

  state(project: string, volume: string): VolumeState {
    return this.states.get(idOf(project, volume)) ?? CREATING;
  }

  /**
   * Makes the volume unless the engine has it; returns its engine name. A refusal is recorded and
   * thrown; so is a connection error, which leaves the volume `creating` for the next connect.
   */
  async ensure(project: string, volume: string, storageType: string | undefined): Promise<string> {
    const id = idOf(project, volume);
    try {
      const name = await ensureVolume(this.docker, this.owner, project, volume, storageType === undefined ? undefined : this.drivers.get(storageType));
      this.states.set(id, SUCCESS);
      return name;
    } catch (error) {
      if (!isConnectionError(error)) this.states.set(id, { status: 'error', message: error instanceof VolumeConflictError ? error.message : engineMessage(error) });
      throw error;
    }
  }

  /**
   * On (re)connect: the engine's volumes of this Wharf are `success` (or `error` when their labels
   * say another's), and with `make` every volume of the store the engine lacks is made, one at a
   * time. Without (a replica that does not lead the region, every resync) it only looks: the
   * leader makes them.
   */
  async sync({ make }: { make: boolean }): Promise<void> {
    // Before the store is read: a volume created from now on is made by `create`, any before by this sync.
    if (make) this.synced = true;
    const { region, instanceId } = this.owner;
    const { Volumes } = await this.docker.listVolumes({ filters: { label: regionFilter(region) } });
    const onEngine = new Map((Volumes ?? []).filter((volume) => isOwnedBy(volume.Labels ?? {}, instanceId)).map((volume) => [volume.Name, volume.Labels ?? {}]));
    for (const volume of await this.volumes.all()) {
      const labels = onEngine.get(volumeName(region, volume.project, volume.name));
      if (labels === undefined) {
        if (make) await this.ensureSpec(volume);
        continue;
      }
      const conflict = volumeConflict(volumeName(region, volume.project, volume.name), labels, this.owner, volume.project, volume.name);
      this.states.set(idOf(volume.project, volume.name), conflict ? { status: 'error', message: conflict } : SUCCESS);
    }
  }

  /**
   * In the background: `volumeStatus` follows, and a connection error waits for the next connect.
   * Before the first sync the region's claim is not yet checked (ownership.ts): the sync makes it.
   */
  create(volume: VolumeSpec): void {
    this.states.set(idOf(volume.project, volume.name), CREATING);
    if (this.synced) void this.ensureSpec(volume).catch(() => {});
  }

  forget(project: string, volume: string): void {
    this.states.delete(idOf(project, volume));
  }

  /** Refusals are recorded as the volume's state; only a connection error is thrown. */
  private async ensureSpec(volume: VolumeSpec): Promise<void> {
    try {
      await this.ensure(volume.project, volume.name, volume.storageType);
    } catch (error) {
      if (isConnectionError(error)) throw error;
    }
  }
}

function idOf(project: string, volume: string): string {
  return `${project}/${volume}`;
}
