import type { V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { ContainerSecurity } from '../../config.js';
import { BASELINE_CAPABILITIES } from '../../domain/security.js';

/** The container runtime's default syscall filter; without it a pod runs Unconfined. */
export const POD_SECURITY_CONTEXT: V1PodSecurityContext = { seccompProfile: { type: 'RuntimeDefault' } };

export function containerSecurityContext(security: ContainerSecurity): V1SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    // Drop then add: a runtime's defaults differ (containerd and CRI-O disagree on NET_RAW), this list does not.
    capabilities: { drop: ['ALL'], add: BASELINE_CAPABILITIES },
    ...(security.runAsNonRoot ? { runAsNonRoot: true } : {}),
    ...(security.readOnlyRootFilesystem ? { readOnlyRootFilesystem: true } : {}),
  };
}

export const TMP_PATH = '/tmp';

/**
 * Whether a container gets a memory-backed /tmp: with a read-only root filesystem most programs still
 * expect to write temporary files there (the Docker runtime mounts a tmpfs for the same reason). A
 * volume mounted on /tmp takes its place.
 */
export function needsTmp(security: ContainerSecurity, mountPaths: string[]): boolean {
  return security.readOnlyRootFilesystem && !mountPaths.includes(TMP_PATH);
}
