import type { V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { VolumeState } from '../../domain/volumes.js';

/**
 * A volume's status from its claim's phase: `Bound` has storage, `Lost` lost its
 * PersistentVolume for good, and `Pending` (or no claim yet: it is made when a service first
 * mounts the volume) is still being provisioned, which under a `WaitForFirstConsumer` class lasts
 * until a pod is scheduled.
 */
export function claimState(claim: V1PersistentVolumeClaim | undefined): VolumeState {
  switch (claim?.status?.phase) {
    case 'Bound':
      return { status: 'success', message: '' };
    case 'Lost':
      return { status: 'error', message: `PersistentVolumeClaim ${claim.metadata?.name}: its PersistentVolume ${claim.spec?.volumeName ?? ''} is gone; the data is lost` };
    default:
      return { status: 'creating', message: '' };
  }
}
