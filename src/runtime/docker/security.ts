import type Docker from 'dockerode';
import type { ContainerSecurity } from '../../config.js';
import { BASELINE_CAPABILITIES } from '../../domain/security.js';

/** `nobody`: the sandbox only holds the network namespace, so it needs no user and no capability. */
export const SANDBOX_USER = '65534:65534';

/**
 * What confines every container of a pod, the sandbox included: a bounded process count (a fork
 * bomb stays inside its pod), no gaining privileges through setuid binaries, and capabilities
 * dropped; `capabilities` are added back.
 */
function confinement(security: ContainerSecurity, capabilities: string[]): Docker.HostConfig {
  return {
    PidsLimit: security.pidsLimit,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: ['ALL'],
    ...(capabilities.length > 0 ? { CapAdd: capabilities } : {}),
    ReadonlyRootfs: security.readOnlyRootFilesystem,
  };
}

export function sandboxConfinement(security: ContainerSecurity): Docker.HostConfig {
  return confinement(security, []);
}

/**
 * A spec container's confinement. With a read-only root filesystem, /tmp is a tmpfs (counted in the
 * container's memory limit) because most programs expect to write temporary files there; Docker
 * fills it with the image's /tmp, owner and mode included. A volume mounted on /tmp takes its place.
 */
export function containerConfinement(security: ContainerSecurity, mountTargets: string[]): Docker.HostConfig {
  const tmp = security.readOnlyRootFilesystem && !mountTargets.includes('/tmp');
  return {
    ...confinement(security, BASELINE_CAPABILITIES),
    ...(tmp ? { Tmpfs: { '/tmp': 'rw,nosuid,nodev' } } : {}),
  };
}

/**
 * Why a process running as `user` (Docker's `user[:group]`) fails Kubernetes' runAsNonRoot, or
 * undefined when it passes. As kubelet does, a user name is refused: the image's /etc/passwd
 * could map it to UID 0.
 */
export function runAsNonRootViolation(user: string): string | undefined {
  const name = user.split(':')[0]!;
  if (name === '' || name === 'root') return 'image will run as root';
  if (!/^\d+$/.test(name)) return `image has non-numeric user (${name}), cannot verify user is non-root`;
  return Number(name) === 0 ? 'image will run as root' : undefined;
}
