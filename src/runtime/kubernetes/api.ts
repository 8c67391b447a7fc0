import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type KubernetesListObject,
  type KubernetesObject,
  type V1ConfigMap,
  type V1Deployment,
  type V1Namespace,
  type V1PersistentVolumeClaim,
  type V1Pod,
  type V1ResourceQuota,
  type V1Service,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { statusOf } from '../engine-errors.js';
import type { ServiceType } from '../../model/service.js';
import { FIELD_MANAGER } from './labels.js';
import type { KubernetesSettings } from './settings.js';

export type Verb = 'create' | 'get' | 'patch' | 'list' | 'watch' | 'delete';

/** One kind of request the driver makes, as Kubernetes' RBAC authorizes it. */
export interface ApiCall {
  apiGroup: '' | 'apps' | 'metrics.k8s.io';
  resource: string;
  verbs: Verb[];
  why: string;
}

/**
 * Every request the driver makes. deploy/kubernetes/common/rbac.yaml grants exactly these (a test
 * compares), and the driver tests check that every request they see is one of them.
 * A server-side apply that creates its object is authorized as `create` as well as `patch`.
 */
export const API_CALLS: readonly ApiCall[] = [
  { apiGroup: '', resource: 'namespaces', verbs: ['create', 'patch'], why: 'apply a project namespace on its first use' },
  { apiGroup: '', resource: 'resourcequotas', verbs: ['create', 'patch', 'delete'], why: 'apply a project\'s quota with its workloads, delete it when the project has none' },
  { apiGroup: '', resource: 'persistentvolumeclaims', verbs: ['create', 'list', 'watch', 'delete'], why: 'create a volume on its first use, observe its phase (the volume\'s status), delete it with the API' },
  { apiGroup: '', resource: 'configmaps', verbs: ['create', 'patch', 'delete'], why: 'apply the ConfigMaps pods read, delete them with the API' },
  { apiGroup: '', resource: 'services', verbs: ['create', 'patch', 'list', 'delete'], why: 'apply, find and delete the ClusterIP Service' },
  { apiGroup: '', resource: 'pods', verbs: ['list', 'watch'], why: 'observe pods' },
  // A WebSocket exec is a GET, authorized as `get`; recent API servers also check `create` on its upgrade (AuthorizePodWebsocketUpgradeCreatePermission).
  { apiGroup: '', resource: 'pods/exec', verbs: ['create', 'get'], why: 'run a command in a pod\'s container (exec)' },
  { apiGroup: '', resource: 'pods/log', verbs: ['get'], why: 'read (and follow) a container\'s log' },
  { apiGroup: 'metrics.k8s.io', resource: 'pods', verbs: ['get'], why: 'a pod\'s CPU and memory use, where metrics-server serves them' },
  { apiGroup: 'apps', resource: 'deployments', verbs: ['create', 'patch', 'list', 'watch', 'delete'], why: 'stateless workloads' },
  { apiGroup: 'apps', resource: 'deployments/scale', verbs: ['patch'], why: 'stop, start and scale' },
  { apiGroup: 'apps', resource: 'statefulsets', verbs: ['create', 'patch', 'list', 'watch', 'delete'], why: 'stateful workloads' },
  { apiGroup: 'apps', resource: 'statefulsets/scale', verbs: ['patch'], why: 'stop and start' },
];

/** The kubeconfig a region names, or the usual resolution: KUBECONFIG, ~/.kube/config, in-cluster. */
export function loadKubeConfig(settings: Pick<KubernetesSettings, 'kubeconfig' | 'context'>): KubeConfig {
  const config = new KubeConfig();
  if (settings.kubeconfig) config.loadFromFile(settings.kubeconfig);
  else config.loadFromDefault();
  if (settings.context) {
    if (!config.getContextObject(settings.context)) throw new Error(`the kubeconfig has no context "${settings.context}"`);
    config.setCurrentContext(settings.context);
  }
  return config;
}

export type Workload = V1Deployment | V1StatefulSet;

/** Watch paths, all namespaces: Wharf's objects are found by label wherever its namespaces are. */
export const WATCH_PATHS = {
  deployments: '/apis/apps/v1/deployments',
  statefulsets: '/apis/apps/v1/statefulsets',
  pods: '/api/v1/pods',
  persistentvolumeclaims: '/api/v1/persistentvolumeclaims',
} as const;

const APPLY = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
// Owned ReplicaSets and pods are removed by the garbage collector after the workload is gone.
const PROPAGATION = 'Background';

/** The requests of API_CALLS, each one call of @kubernetes/client-node. */
export class KubernetesApi {
  readonly watch: Watch;
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;

  constructor(readonly config: KubeConfig) {
    this.core = config.makeApiClient(CoreV1Api);
    this.apps = config.makeApiClient(AppsV1Api);
    this.watch = new Watch(config);
  }

  /** The API server's address, for logs and the region listing. */
  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '(no cluster)';
  }

  applyNamespace(namespace: V1Namespace): Promise<V1Namespace> {
    return this.core.patchNamespace({ name: nameOf(namespace), body: namespace, fieldManager: FIELD_MANAGER, force: true }, APPLY);
  }

  applyResourceQuota(quota: V1ResourceQuota): Promise<V1ResourceQuota> {
    return this.core.patchNamespacedResourceQuota(
      { name: nameOf(quota), namespace: namespaceOf(quota), body: quota, fieldManager: FIELD_MANAGER, force: true },
      APPLY,
    );
  }

  async deleteResourceQuota(namespace: string, name: string): Promise<void> {
    await ignoreNotFound(this.core.deleteNamespacedResourceQuota({ name, namespace }));
  }

  /** Creates the claim unless it exists; an existing claim (and its data) is never changed. */
  async createVolumeClaimIfAbsent(claim: V1PersistentVolumeClaim): Promise<void> {
    try {
      await this.core.createNamespacedPersistentVolumeClaim({ namespace: namespaceOf(claim), body: claim });
    } catch (error) {
      if (!hasStatus(error, 409)) throw error;
    }
  }

  applyConfigMap(configMap: V1ConfigMap): Promise<V1ConfigMap> {
    return this.core.patchNamespacedConfigMap(
      { name: nameOf(configMap), namespace: namespaceOf(configMap), body: configMap, fieldManager: FIELD_MANAGER, force: true },
      APPLY,
    );
  }

  async deleteConfigMap(namespace: string, name: string): Promise<void> {
    await ignoreNotFound(this.core.deleteNamespacedConfigMap({ name, namespace }));
  }

  async deleteVolumeClaim(namespace: string, name: string): Promise<void> {
    await ignoreNotFound(this.core.deleteNamespacedPersistentVolumeClaim({ name, namespace }));
  }

  applyWorkload(workload: Workload, type: ServiceType): Promise<Workload> {
    const request = { name: nameOf(workload), namespace: namespaceOf(workload), body: workload, fieldManager: FIELD_MANAGER, force: true };
    return type === 'stateless' ? this.apps.patchNamespacedDeployment(request, APPLY) : this.apps.patchNamespacedStatefulSet(request, APPLY);
  }

  applyService(service: V1Service): Promise<V1Service> {
    return this.core.patchNamespacedService(
      { name: nameOf(service), namespace: namespaceOf(service), body: service, fieldManager: FIELD_MANAGER, force: true },
      APPLY,
    );
  }

  async scaleWorkload(type: ServiceType, namespace: string, name: string, replicas: number): Promise<void> {
    const request = { name, namespace, body: { spec: { replicas } }, fieldManager: FIELD_MANAGER };
    if (type === 'stateless') await this.apps.patchNamespacedDeploymentScale(request, MERGE);
    else await this.apps.patchNamespacedStatefulSetScale(request, MERGE);
  }

  async listWorkloads(type: ServiceType, namespace: string, labelSelector: string): Promise<Workload[]> {
    const list = type === 'stateless'
      ? await this.apps.listNamespacedDeployment({ namespace, labelSelector })
      : await this.apps.listNamespacedStatefulSet({ namespace, labelSelector });
    return list.items;
  }

  async listServices(namespace: string, labelSelector: string): Promise<V1Service[]> {
    return (await this.core.listNamespacedService({ namespace, labelSelector })).items;
  }

  /** Deletes a workload; one already gone is not an error. */
  async deleteWorkload(type: ServiceType, namespace: string, name: string): Promise<void> {
    const request = { name, namespace, propagationPolicy: PROPAGATION };
    await ignoreNotFound(type === 'stateless' ? this.apps.deleteNamespacedDeployment(request) : this.apps.deleteNamespacedStatefulSet(request));
  }

  async deleteService(namespace: string, name: string): Promise<void> {
    await ignoreNotFound(this.core.deleteNamespacedService({ name, namespace }));
  }

  // The lists a watch starts from, across all namespaces.
  listDeployments(labelSelector: string): Promise<KubernetesListObject<V1Deployment>> {
    return this.apps.listDeploymentForAllNamespaces({ labelSelector });
  }

  listStatefulSets(labelSelector: string): Promise<KubernetesListObject<V1StatefulSet>> {
    return this.apps.listStatefulSetForAllNamespaces({ labelSelector });
  }

  listPods(labelSelector: string): Promise<KubernetesListObject<V1Pod>> {
    return this.core.listPodForAllNamespaces({ labelSelector });
  }

  listVolumeClaims(labelSelector: string): Promise<KubernetesListObject<V1PersistentVolumeClaim>> {
    return this.core.listPersistentVolumeClaimForAllNamespaces({ labelSelector });
  }
}

export { statusOf };

function hasStatus(error: unknown, status: number): boolean {
  return statusOf(error) === status;
}

async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!hasStatus(error, 404)) throw error;
  }
}

function nameOf(object: KubernetesObject): string {
  const name = object.metadata?.name;
  if (!name) throw new Error(`a ${object.kind} without a name`);
  return name;
}

function namespaceOf(object: KubernetesObject): string {
  const namespace = object.metadata?.namespace;
  if (!namespace) throw new Error(`${object.kind} ${nameOf(object)} without a namespace`);
  return namespace;
}
