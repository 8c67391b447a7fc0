import type { ConfigMapRecord } from '../domain/configmaps.js';
import type { ObservedService } from '../domain/observed.js';
import type { DesiredService, RevisionRecord } from '../domain/service.js';
import { serviceStatus } from '../domain/status.js';
import type { AppRecord } from '../store/store.js';
import type { Runtime } from '../runtime/runtime.js';
import type { VolumeUse } from '../store/volumes.js';
import type { App } from './schemas/app.js';
import type { ConfigMap } from './schemas/configmap.js';
import type { Revision, Service } from './schemas/microservice.js';
import type { Volume } from './schemas/volume.js';

/** The seed's service object: desired state from the store, pods and status from the runtime's cache. */
export function serviceView(state: DesiredService, observed: ObservedService, now = Date.now()): Service {
  const pods = observed.pods.filter((pod) => pod.serviceUid === state.uid);
  return {
    name: state.key.service,
    appName: state.key.app,
    projectName: state.key.project,
    type: state.type,
    resourceSpec: state.resourceSpec,
    instanceNumber: state.instanceNumber,
    ports: state.ports,
    containers: state.containers,
    // The KE SDK marks it omitempty: a service without GPUs has none to show.
    ...(state.gpuSpec ? { gpuSpec: state.gpuSpec } : {}),
    minReadySeconds: state.rollout.minReadySeconds,
    progressDeadlineSeconds: state.rollout.progressDeadlineSeconds,
    autoRollback: state.rollout.autoRollback,
    status: serviceStatus(state, observed, now),
    pods: pods.sort((a, b) => a.name.localeCompare(b.name)),
    creationTime: state.creationTime,
    updateTime: state.updateTime,
    revision: state.revision,
  };
}

export function appView(app: AppRecord, observe: (state: DesiredService) => ObservedService): App {
  return {
    name: app.name,
    projectName: app.project,
    creationTime: app.creationTime,
    microservices: app.services.map((state) => serviceView(state, observe(state))),
  };
}

export function revisionView(revision: RevisionRecord): Revision {
  return {
    revision: revision.revision,
    resourceSpec: revision.resourceSpec,
    containers: revision.containers,
    ...(revision.gpuSpec ? { gpuSpec: revision.gpuSpec } : {}),
    creationTimestamp: revision.creationTimestamp,
  };
}

export function configMapView(configMap: ConfigMapRecord): ConfigMap {
  return {
    name: configMap.name,
    projectName: configMap.project,
    data: configMap.data,
    version: configMap.version,
    creationTime: configMap.creationTime,
    updateTime: configMap.updateTime,
    ...(configMap.deleting ? { deleting: configMap.deleting } : {}),
  };
}

/**
 * The KE SDK's volume object: stored fields from the store, `status` from the runtime's cache, or
 * `deleting` with the last failure to remove it while the controller is removing it.
 */
export function volumeView({ volume, mountedBy }: VolumeUse, runtime: Pick<Runtime, 'volumeStatus'>): Volume {
  const { status, message } = volume.deleting ? { status: 'deleting' as const, message: volume.deleting.message } : runtime.volumeStatus(volume.project, volume.name);
  return {
    name: volume.name,
    projectName: volume.project,
    size: volume.sizeGi,
    storageType: volume.storageType,
    fsType: volume.fsType,
    status,
    statusMessage: message,
    creationTime: volume.creationTime,
    mountedBy: mountedBy.map((key) => ({ appName: key.app, name: key.service })),
    ...(volume.deleting ? { deleting: volume.deleting } : {}),
  };
}
