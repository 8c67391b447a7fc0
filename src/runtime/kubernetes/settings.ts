import type { RegionSettings } from '../../config.js';

/** A region's `kubernetes` settings with every default filled in. */
export interface KubernetesSettings {
  /** A kubeconfig file; absent: KUBECONFIG, then ~/.kube/config, then the in-cluster service account. */
  kubeconfig?: string;
  /** A context of the kubeconfig; absent: its current context. */
  context?: string;
  /** Project `p` lives in namespace `<namespacePrefix>p`. */
  namespacePrefix: string;
  /** Absent: the cluster's default storage class. */
  storageClass?: string;
  /** The size of a PersistentVolumeClaim created for a volume on its first use. */
  defaultVolumeSize: string;
  imagePullSecrets: string[];
}

export function kubernetesSettings(fromFile: RegionSettings['kubernetes']): KubernetesSettings {
  return {
    ...fromFile,
    namespacePrefix: fromFile.namespacePrefix ?? 'wharf-',
    defaultVolumeSize: fromFile.defaultVolumeSize ?? '10Gi',
    imagePullSecrets: fromFile.imagePullSecrets ?? [],
  };
}
