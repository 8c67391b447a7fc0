import type {
  KubernetesObject,
  V1ConfigMap,
  V1Container,
  V1Deployment,
  V1EnvVar,
  V1Namespace,
  V1PersistentVolumeClaim,
  V1PodTemplateSpec,
  V1Probe,
  V1ResourceQuota,
  V1ResourceRequirements,
  V1Service,
  V1StatefulSet,
  V1Volume,
} from '@kubernetes/client-node';
import { PROBE_KINDS, type Probe } from '../../model/probe.js';
import type { Container } from '../../model/container.js';
import type { WorkloadSpec } from '../../domain/plan.js';
import { volumeNames } from '../../domain/volumes.js';
import { parseConfigMapRef } from '../../domain/validation.js';
import { portsText } from '../../domain/workload-plan.js';
import { ANNOTATIONS, LABELS, namespaceName, projectLabels, serviceName, workloadName } from './labels.js';
import { renderResourceQuota, type ProjectQuota } from './quota.js';
import { containerSecurityContext, needsTmp, POD_SECURITY_CONTEXT, TMP_PATH } from './security.js';
import type { KubernetesSettings } from './settings.js';

/** The objects of one service, grouped by how the driver writes them. */
export interface Manifests {
  /** Applied on the project's first use. */
  namespace: V1Namespace;
  /** The project's ResourceQuota, applied before the workload; absent: the driver deletes it. */
  quota?: V1ResourceQuota;
  /** The ConfigMaps the pods read that exist in the store; applied before the workload. */
  configMaps: V1ConfigMap[];
  /** Created when absent and never changed or deleted afterwards: volumes hold data. */
  volumeClaims: V1PersistentVolumeClaim[];
  /** A Deployment for a stateless service, a StatefulSet for a stateful one. */
  workload: V1Deployment | V1StatefulSet;
  /** Absent when the service has no port: a ClusterIP Service needs at least one. */
  service?: V1Service;
}

/** What the store holds for the workload besides its spec: the project's quota (absent: no ResourceQuota is rendered). */
export interface StoredResources {
  quota?: ProjectQuota;
}

export type RenderSettings = Pick<KubernetesSettings, 'namespacePrefix' | 'storageClass' | 'storageTypes' | 'defaultVolumeSizeGi' | 'imagePullSecrets' | 'security'>;

/**
 * DESIGN.md §2 "Kubernetes mapping", as a pure function of the service's workload, the region's
 * settings and the project's quota. The ConfigMaps and volumes are those the workload carries, as
 * the plan resolved them (a volume the store did not have gets the region's default size and
 * storage type).
 */
export function render(spec: WorkloadSpec, settings: RenderSettings, stored: StoredResources = {}): Manifests {
  const { configMaps, volumes } = spec;
  const { quota } = stored;
  const namespace = namespaceName(settings.namespacePrefix, spec.key.project);
  const ofProject = projectLabels(spec.key.project);
  const selector = { [LABELS.app]: spec.key.app, [LABELS.service]: spec.key.service };
  const labels = { ...ofProject, ...selector, [LABELS.serviceUid]: spec.serviceUid };
  const revision = { [ANNOTATIONS.revision]: String(spec.revision), [ANNOTATIONS.templateHash]: spec.podTemplateHash };
  const metadata = (name: string) => ({ name, namespace, labels });

  const template = podTemplate(spec, settings, labels, revision);
  const workloadMetadata = { ...metadata(workloadName(spec.key, spec.type)), annotations: { ...revision, [ANNOTATIONS.ports]: portsText(spec.ports) } };
  const workload: V1Deployment | V1StatefulSet = spec.type === 'stateless'
    ? {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: workloadMetadata,
        spec: {
          replicas: spec.replicas,
          selector: { matchLabels: selector },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
          // A pod is available once Ready this long; a rollout without progress this long is marked failed (ProgressDeadlineExceeded).
          minReadySeconds: spec.minReadySeconds,
          progressDeadlineSeconds: spec.progressDeadlineSeconds,
          // Revisions are Wharf's (its store), not ReplicaSet history: no old ReplicaSet is kept.
          revisionHistoryLimit: 0,
          template,
        },
      }
    : {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: workloadMetadata,
        spec: {
          replicas: spec.replicas,
          minReadySeconds: spec.minReadySeconds,
          serviceName: serviceName(spec.key),
          selector: { matchLabels: selector },
          // With one replica a rolling update stops the old pod before the new one starts: one writer per volume.
          updateStrategy: { type: 'RollingUpdate' },
          template,
        },
      };

  const resourceQuota = quota && renderResourceQuota(namespace, ofProject, quota, workload);
  return {
    namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: ofProject } },
    ...(resourceQuota ? { quota: resourceQuota } : {}),
    configMaps: [...configMaps].map(([name, content]) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, labels: ofProject },
      data: content.data,
    })),
    volumeClaims: volumeNames(spec.containers).map((name) => {
      const volume = volumes.get(name);
      const storageClass = storageClassOf(settings, volume?.storageType);
      return {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name, namespace, labels: ofProject },
        spec: {
          accessModes: ['ReadWriteOnce'],
          resources: { requests: { storage: `${volume?.sizeGi ?? settings.defaultVolumeSizeGi}Gi` } },
          ...(storageClass === undefined ? {} : { storageClassName: storageClass }),
        },
      };
    }),
    workload,
    ...(spec.ports.length === 0
      ? {}
      : {
          service: {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: metadata(serviceName(spec.key)),
            spec: {
              type: 'ClusterIP',
              selector,
              ports: spec.ports.map((port) => ({
                // Kubernetes requires a name on each port of a multi-port Service; `tcp-80` is unique per (port, protocol).
                name: `${port.protocol.toLowerCase()}-${port.port}`,
                protocol: port.protocol,
                port: port.servicePort ?? port.port,
                targetPort: port.port,
              })),
            },
          },
        }),
  };
}

/** Every object in the order `kubectl apply -f` needs them: namespace first, the quota before the pods it counts. */
export function manifestList(manifests: Manifests): KubernetesObject[] {
  return [manifests.namespace, ...(manifests.quota ? [manifests.quota] : []), ...manifests.configMaps, ...manifests.volumeClaims, manifests.workload, ...(manifests.service ? [manifests.service] : [])];
}

function podTemplate(
  spec: WorkloadSpec,
  settings: RenderSettings,
  labels: Record<string, string>,
  annotations: Record<string, string>,
): V1PodTemplateSpec {
  const volumes = volumeNames(spec.containers);
  const configMaps = unique(spec.containers.flatMap((container) => container.configs.map((config) => config.configMapName)));
  const withTmp = spec.containers.map((container) => needsTmp(settings.security, mountPaths(container)));
  const podVolumes: V1Volume[] = [
    ...volumes.map((claimName, i) => ({ name: `volume-${i}`, persistentVolumeClaim: { claimName } })),
    ...configMaps.map((name, i) => ({ name: `config-${i}`, configMap: { name } })),
    // One per container, as Docker's tmpfs: containers of a pod do not share their /tmp. Memory-backed, so counted in the pod's memory.
    ...spec.containers.flatMap((_, i) => (withTmp[i] ? [{ name: tmpVolume(i), emptyDir: { medium: 'Memory' } }] : [])),
  ];
  const resources = containerResources(spec.resources);
  const nodeSelector = spec.resources.gpus?.type.kubernetes.nodeSelector ?? {};
  return {
    metadata: { labels, annotations },
    spec: {
      // Safe defaults: a workload gets no API credentials, no host namespace and no Service env variables.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      securityContext: POD_SECURITY_CONTEXT,
      ...(settings.imagePullSecrets.length === 0 ? {} : { imagePullSecrets: settings.imagePullSecrets.map((name) => ({ name })) }),
      // The nodes that have the GPU type: the device plugin's resource counts GPUs, not their model.
      ...(Object.keys(nodeSelector).length === 0 ? {} : { nodeSelector }),
      containers: spec.containers.map((container, i) => ({
        ...renderContainer(container, resources, volumes, configMaps, withTmp[i] ? tmpVolume(i) : undefined),
        securityContext: containerSecurityContext(settings.security),
      })),
      ...(podVolumes.length === 0 ? {} : { volumes: podVolumes }),
    },
  };
}

function renderContainer(container: Container, resources: V1ResourceRequirements, volumes: string[], configMaps: string[], tmp: string | undefined): V1Container {
  const volumeMounts = [
    ...container.volumeMounts.map((mount) => ({
      name: `volume-${volumes.indexOf(mount.volumeName)}`,
      mountPath: mount.mountPath,
      readOnly: mount.readOnly,
    })),
    ...container.configs.map((config) => ({
      name: `config-${configMaps.indexOf(config.configMapName)}`,
      mountPath: config.mountPath,
      readOnly: true,
    })),
    ...(tmp === undefined ? [] : [{ name: tmp, mountPath: TMP_PATH }]),
  ];
  return {
    name: container.name,
    image: container.image,
    ...(container.workingDir === '' ? {} : { workingDir: container.workingDir }),
    ...(container.command.length === 0 ? {} : { command: container.command }),
    ...(container.args.length === 0 ? {} : { args: container.args }),
    ...(container.envs.length === 0 ? {} : { env: container.envs.map(renderEnv) }),
    ...(volumeMounts.length === 0 ? {} : { volumeMounts }),
    resources,
    ...Object.fromEntries(PROBE_KINDS.flatMap((kind) => {
      const probe = container[kind];
      return probe ? [[kind, renderProbe(probe)]] : [];
    })),
  };
}

/**
 * Wharf's probes have Kubernetes' names and defaults, so they map field for field. Every timing
 * is written out: a workload applied with the API server's defaults left implicit would read back
 * the same, but the rendered manifest would not say what the service asked for.
 */
function renderProbe(probe: Probe): V1Probe {
  const { httpGet, tcpSocket, exec } = probe;
  return {
    ...(httpGet
      ? {
          httpGet: {
            path: httpGet.path,
            port: httpGet.port,
            scheme: httpGet.scheme,
            ...(httpGet.httpHeaders.length === 0 ? {} : { httpHeaders: httpGet.httpHeaders.map(({ name, value }) => ({ name, value })) }),
          },
        }
      : {}),
    ...(tcpSocket ? { tcpSocket: { port: tcpSocket.port } } : {}),
    ...(exec ? { exec: { command: exec.command } } : {}),
    initialDelaySeconds: probe.initialDelaySeconds,
    periodSeconds: probe.periodSeconds,
    timeoutSeconds: probe.timeoutSeconds,
    successThreshold: probe.successThreshold,
    failureThreshold: probe.failureThreshold,
  };
}

function mountPaths(container: Container): string[] {
  return [...container.volumeMounts, ...container.configs].map((mount) => mount.mountPath);
}

function tmpVolume(containerIndex: number): string {
  return `tmp-${containerIndex}`;
}

function renderEnv(env: Container['envs'][number]): V1EnvVar {
  if (env.type !== 'configMap') return { name: env.name, value: env.value };
  const ref = parseConfigMapRef(env.value);
  if (!ref) throw new Error(`env ${env.name}: "${env.value}" is not <configMapName>.<key>`);
  // Not optional: until the ConfigMap and key exist the pod waits (CreateContainerConfigError), as DESIGN.md §3 asks.
  return { name: env.name, valueFrom: { configMapKeyRef: { name: ref.configMap, key: ref.key } } };
}

/**
 * The seed's specs are container specs (容器资源规格): each container gets the whole spec, as on
 * Docker, and the service's GPUs. Requests equal limits, which gives the pod the Guaranteed QoS
 * class (and an extended resource such as a GPU may not be overcommitted anyway).
 */
function containerResources(resources: WorkloadSpec['resources']): V1ResourceRequirements {
  const { gpus } = resources;
  const spec = {
    cpu: `${Math.round(resources.cpu * 1000)}m`,
    memory: `${resources.memoryMb}Mi`,
    ...(gpus ? { [gpus.type.kubernetes.resource]: String(gpus.number) } : {}),
  };
  return { requests: spec, limits: spec };
}

/**
 * The StorageClass of a storage type (absent: the region's first); undefined lets the cluster's
 * default class provision it. A type no longer in the config keeps the region's class.
 */
function storageClassOf(settings: RenderSettings, storageType: string | undefined): string | undefined {
  const type = storageType === undefined ? settings.storageTypes[0] : settings.storageTypes.find((candidate) => candidate.type === storageType);
  return type ? type.storageClass : settings.storageClass;
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
