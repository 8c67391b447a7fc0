import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from 'pino';
import { statusOf } from './client.js';
import { createPulling } from './images.js';
import { keyString, type ServiceKey } from '../../domain/keys.js';
import { isOwnedBy, keyOfLabels, LABEL, networkName, regionFilter, volumeName, type Labels, type Owner } from './labels.js';
import type { ProjectNetworks } from './network.js';
import { podId } from './pod-cache.js';
import { checkVolumeOwner, ensureVolume } from './volumes.js';

/**
 * Names of Wharf versions that left the region out and joined parts with `-`, which can also be
 * inside a name: project `rsv-x` + volume `data` and project `rsv` + volume `x-data` were one volume.
 */
export function legacyVolumeName(project: string, volume: string): string {
  return `wharf-${project}-${volume}`;
}

export function legacyNetworkName(project: string): string {
  return `wharf-${project}`;
}

export interface MigrationContext {
  docker: Docker;
  owner: Owner;
  sandboxImage: string;
  networks: ProjectNetworks;
  /** Stops and removes a pod's containers as the driver does (graceful stop, containers before sandbox). */
  removePod: (key: ServiceKey, pod: string) => Promise<void>;
  log: Logger;
}

// Where the copy's helper containers mount a volume: the same path in both, so the archive of
// the source directory unpacks at `/` of the target straight into the target volume.
const COPY_MOUNT = '/wharf-data';

/**
 * Brings a region's objects from the legacy layout to the current one when the engine connects,
 * before any pod is listed or created: a failure leaves the region disconnected and is retried on
 * the next connect, and every step can be redone after an interruption.
 */
export async function migrateLegacyLayout(context: MigrationContext): Promise<void> {
  await removeCopyHelpers(context);
  await removeLegacyPodsWithVolumes(context);
  await moveLegacyVolumes(context);
  await joinLegacySandboxes(context);
  await removeEmptyLegacyNetworks(context);
}

/**
 * Legacy pods that mount a volume mount it by its legacy name: they are removed (the controller
 * creates them again, mounting the new name) so that the legacy volumes can be moved. Only this
 * region's legacy pods are touched; a pod of this Wharf's own carries its instance id.
 */
async function removeLegacyPodsWithVolumes({ docker, owner, removePod, log }: MigrationContext): Promise<void> {
  const listed = await docker.listContainers({ all: true, filters: { label: regionFilter(owner.region) } });
  const pods = new Map<string, { key: ServiceKey; pod: string }>();
  for (const container of listed) {
    const key = keyOfLabels(container.Labels);
    const pod = container.Labels[LABEL.pod];
    const legacy = container.Labels[LABEL.instance] === undefined;
    if (key && pod && legacy && container.Mounts.some((mount) => mount.Type === 'volume')) pods.set(podId(key, pod), { key, pod });
  }
  for (const { key, pod } of pods.values()) {
    log.info({ service: keyString(key), pod }, 'removing a legacy pod that mounts a volume by its legacy name; it is created again on the new name');
    await removePod(key, pod);
  }
}

/** Every legacy volume of this region, moved with its data to `wharf_<region>_<project>_<volume>`. */
async function moveLegacyVolumes(context: MigrationContext): Promise<void> {
  const { docker, owner } = context;
  const { Volumes } = await docker.listVolumes({ filters: { label: regionFilter(owner.region) } });
  for (const volume of Volumes ?? []) {
    const labels: Labels = volume.Labels ?? {};
    const { [LABEL.project]: project, [LABEL.volume]: name } = labels;
    // The labels are those of whoever created the volume first, under the colliding name: its true owner.
    if (!project || !name || volume.Name !== legacyVolumeName(project, name) || !isOwnedBy(labels, owner.instanceId)) continue;
    await moveVolume(context, volume.Name, project, name);
  }
}

/**
 * Copies the data into a new volume, checks the copy, and only then removes the legacy volume.
 * Until it is gone no pod mounts the new name, so a new volume found with this Wharf's labels holds
 * an interrupted copy: it is discarded and the copy done again from the start.
 */
async function moveVolume(context: MigrationContext, legacy: string, project: string, volume: string): Promise<void> {
  const { docker, owner, log } = context;
  const target = volumeName(owner.region, project, volume);
  const holders = await docker.listContainers({ all: true, filters: { volume: [legacy, target] } });
  if (holders.length > 0) {
    const names = holders.map((holder) => holder.Names[0]).join(', ');
    throw new Error(`cannot move the legacy volume ${legacy} to ${target}: containers that are not this region's legacy pods mount one of them (${names})`);
  }
  await discardInterruptedCopy(docker, owner, project, volume);
  await ensureVolume(docker, owner, project, volume);
  const startedAt = Date.now();
  const bytes = await copyVolume(context, legacy, target);
  await docker.getVolume(legacy).remove();
  log.info({ from: legacy, to: target, archiveBytes: bytes, ms: Date.now() - startedAt }, 'moved a legacy volume, with its data, to its region-qualified name');
}

/** Removes the new volume if it exists and is this Wharf's; one made by anyone else is refused (VolumeConflictError). */
async function discardInterruptedCopy(docker: Docker, owner: Owner, project: string, volume: string): Promise<void> {
  try {
    await checkVolumeOwner(docker, owner, project, volume);
  } catch (error) {
    if (statusOf(error) === 404) return;
    throw error;
  }
  await docker.getVolume(volumeName(owner.region, project, volume)).remove();
}

/**
 * Copies a volume's files with the engine's archive API, so no image needs a shell or `tar`: two
 * containers of the sandbox image, created and never started, mount the source and the target;
 * the source's tar stream goes into the target as it is read, and is then compared with the
 * target's own archive. Returns the archive's size.
 */
async function copyVolume(context: MigrationContext, from: string, to: string): Promise<number> {
  const source = await createCopyHelper(context, from);
  const target = await createCopyHelper(context, to);
  let archive: NodeJS.ReadableStream | undefined;
  try {
    const digest = createHash('sha256');
    let bytes = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        digest.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    archive = await source.getArchive({ path: COPY_MOUNT });
    archive.on('error', (error: Error) => counted.destroy(error));
    await target.putArchive(archive.pipe(counted), { path: '/' });
    const copied = await sha256(await target.getArchive({ path: COPY_MOUNT }));
    if (copied !== digest.digest('hex')) throw new Error(`the copy of volume ${from} into ${to} differs from its source`);
    return bytes;
  } finally {
    (archive as { destroy?: () => void } | undefined)?.destroy?.(); // a failed upload leaves it unread
    await Promise.all([source, target].map((helper) => helper.remove({ force: true }).catch(tolerate(404))));
  }
}

function createCopyHelper({ docker, owner, sandboxImage }: MigrationContext, volume: string): Promise<Docker.Container> {
  return createPulling(docker, {
    Image: sandboxImage,
    Labels: { [LABEL.region]: owner.region, [LABEL.instance]: owner.instanceId, [LABEL.role]: 'volume-copy' },
    HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: volume, Target: COPY_MOUNT }] },
  });
}

/** Helpers left by an interrupted copy would hold the volumes. */
async function removeCopyHelpers({ docker, owner }: MigrationContext): Promise<void> {
  const filters = { label: [...regionFilter(owner.region), `${LABEL.instance}=${owner.instanceId}`, `${LABEL.role}=volume-copy`] };
  const helpers = await docker.listContainers({ all: true, filters });
  await Promise.all(helpers.map((helper) => docker.getContainer(helper.Id).remove({ force: true }).catch(tolerate(404))));
}

/**
 * Legacy pods without volumes are adopted as they are, on their legacy network; new pods join the
 * region-qualified one. Each legacy sandbox also joins the new network under its own aliases, so
 * old and new pods of a project keep reaching each other by name until the old ones are replaced.
 */
async function joinLegacySandboxes({ docker, owner, networks }: MigrationContext): Promise<void> {
  const filters = { label: [...regionFilter(owner.region), `${LABEL.role}=sandbox`] };
  const sandboxes = (await docker.listContainers({ all: true, filters })).filter((sandbox) => sandbox.Labels[LABEL.instance] === undefined);
  for (const sandbox of sandboxes) {
    const project = sandbox.Labels[LABEL.project]!;
    const network = networkName(owner.region, project);
    if (network in (sandbox.NetworkSettings.Networks ?? {})) continue;
    await networks.ensure(project);
    const inspected = await docker.getContainer(sandbox.Id).inspect();
    const aliases = inspected.NetworkSettings.Networks[legacyNetworkName(project)]?.Aliases ?? [];
    await docker.getNetwork(network).connect({ Container: sandbox.Id, EndpointConfig: { Aliases: aliases } }).catch(tolerate(403, 404));
  }
}

/** A legacy project network goes once no container uses it (its last legacy pod was replaced). */
async function removeEmptyLegacyNetworks({ docker, owner }: MigrationContext): Promise<void> {
  const listed = await docker.listNetworks({ filters: { label: regionFilter(owner.region) } });
  for (const network of listed) {
    const labels: Labels = network.Labels ?? {};
    const project = labels[LABEL.project];
    if (!project || network.Name !== legacyNetworkName(project) || !isOwnedBy(labels, owner.instanceId)) continue;
    const { Containers } = await docker.getNetwork(network.Id).inspect();
    if (Object.keys(Containers ?? {}).length === 0) await docker.getNetwork(network.Id).remove().catch(tolerate(403, 404, 409));
  }
}

/** A failure with one of `codes` means the step is already done or moot (gone, in progress). */
function tolerate(...codes: number[]) {
  return (error: unknown): void => {
    if (!codes.includes(statusOf(error) ?? 0)) throw error;
  };
}

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const digest = createHash('sha256');
  for await (const chunk of stream) digest.update(chunk as Buffer);
  return digest.digest('hex');
}
