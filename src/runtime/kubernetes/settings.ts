import type { ContainerSecurity, RegionSettings, StorageTypeSettings } from '../../config.js';

/** A region's `kubernetes` settings with every default filled in, and the region's container security. */
export interface KubernetesSettings {
  /** A kubeconfig file; absent: KUBECONFIG, then ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; absent: its current context. */
  context?: string;
  /** Project `p` lives in namespace `<namespacePrefix>p`. */
  namespacePrefix: string;
  /** Absent: the cluster's default storage class. */
  storageClass?: string;
  /** The region's storage types (the first is the default), each with the StorageClass its claims name; absent: the cluster's default. */
  storageTypes: Array<{ type: string; storageClass?: string }>;
  /** The region's `defaultVolumeSizeGi`: a claim's size for a volume the store has no size for. */
  defaultVolumeSizeGi: number;
  imagePullSecrets: string[];
  /** The same on every runtime; `pidsLimit` is the kubelet's (podPidsLimit), not a pod's. */
  security: ContainerSecurity;
}

export function kubernetesSettings(
  region: Pick<RegionSettings, 'kubernetes' | 'security' | 'defaultVolumeSizeGi'> & { storageTypes: ReadonlyArray<Pick<StorageTypeSettings, 'type' | 'kubernetes'>> },
): KubernetesSettings {
  const fromFile = region.kubernetes;
  return {
    ...fromFile,
    storageTypes: region.storageTypes.map(({ type, kubernetes }) => {
      const storageClass = kubernetes?.storageClass ?? fromFile.storageClass;
      return storageClass === undefined ? { type } : { type, storageClass };
    }),
    namespacePrefix: fromFile.namespacePrefix ?? 'wharf-',
    defaultVolumeSizeGi: region.defaultVolumeSizeGi,
    imagePullSecrets: fromFile.imagePullSecrets ?? [],
    security: region.security,
  };
}
