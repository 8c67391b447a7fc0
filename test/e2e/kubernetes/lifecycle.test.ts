import { delimiter } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { statusOf } from '../../../src/runtime/kubernetes/api.js';
import { kubernetesLifecycleScenarios, type ClusterView } from '../../support/kubernetes-scenarios.js';

// The end-to-end scenarios against a real cluster: `npm run test:e2e:k8s` with KUBECONFIG naming
// it (its current context; a throwaway cluster such as kind or k3d: Wharf creates namespaces
// `wharf-e2e-*` and a volume claim, which needs a default StorageClass). `npm test` lists this
// file too, but it runs only when WHARF_E2E_KUBERNETES=1 is set as well: a KUBECONFIG that is
// merely present in a developer's shell must never send tests to the cluster it names.

// KUBECONFIG may list several files; like kubectl, the suite takes the cluster of the first.
const kubeconfig = process.env.KUBECONFIG?.split(delimiter).find(Boolean);
const skip = process.env.WHARF_E2E_KUBERNETES !== '1'
  ? 'the Kubernetes end-to-end suite runs with `npm run test:e2e:k8s` (WHARF_E2E_KUBERNETES=1) and a KUBECONFIG naming a throwaway cluster'
  : !kubeconfig
    ? 'KUBECONFIG is not set: name the kubeconfig of a throwaway cluster to run the Kubernetes end-to-end suite'
    : false;
if (skip) console.warn(`skipped: ${skip}`);

function realCluster(path: string): ClusterView {
  const config = new KubeConfig();
  config.loadFromFile(path);
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const reads = {
    deployments: (namespace: string, name: string) => apps.readNamespacedDeployment({ namespace, name }),
    statefulsets: (namespace: string, name: string) => apps.readNamespacedStatefulSet({ namespace, name }),
    services: (namespace: string, name: string) => core.readNamespacedService({ namespace, name }),
    persistentvolumeclaims: (namespace: string, name: string) => core.readNamespacedPersistentVolumeClaim({ namespace, name }),
  };
  return {
    async get(resource, namespace, name) {
      try {
        // As plain JSON, the shape the scenarios (and the test API server) use.
        return JSON.parse(JSON.stringify(await reads[resource](namespace, name)));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
  };
}

kubernetesLifecycleScenarios(
  'Kubernetes runtime on a real cluster',
  async () => ({
    kubeconfig: kubeconfig!,
    namespacePrefix: 'wharf-e2e-',
    cluster: realCluster(kubeconfig!),
    image: process.env.WHARF_E2E_IMAGE ?? 'registry.k8s.io/pause:3.10',
    timeoutMs: 180_000,
  }),
  { skip },
);
