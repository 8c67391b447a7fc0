import type { Port } from '../model/service.js';
import type { ServiceKey } from './keys.js';
import type { ObservedWorkload } from './observed.js';
import type { PodInputs } from './pod-inputs.js';
import { podTemplateOf, type WorkloadOperation, type WorkloadSpec } from './plan.js';
import type { PodResources } from './resources.js';
import type { DesiredService } from './service.js';

/**
 * What to do so an engine that rolls pods out itself (Kubernetes) matches the desired state of one
 * service (undefined: it was deleted). Pure, like `plan`: the same desired and observed workload
 * always give the same operations. The engine runs the rollout the rendered workload asks for
 * (stateless: maxSurge 1 / maxUnavailable 0; stateful: one pod, replaced), so this plan decides
 * only which workload to ask for: apply a new one, change its replica count, or delete it.
 */
export function planWorkload(
  key: ServiceKey,
  desired: DesiredService | undefined,
  observed: ObservedWorkload | undefined,
  resources: PodResources,
  inputs: PodInputs,
): WorkloadOperation[] {
  if (desired === undefined) {
    return observed ? [{ action: 'delete', key, cause: 'the service was deleted' }] : [];
  }
  const workload = workloadOf(desired, resources, inputs);
  const apply = (cause: string): WorkloadOperation => ({ action: 'apply', workload, cause });

  if (observed === undefined) return [apply('the service has no workload')];
  // The engine's selector is fixed at creation, so the workload of a deleted namesake is not reused.
  if (observed.serviceUid !== desired.uid) {
    return [
      { action: 'delete', key, cause: 'left by an earlier service of the same name' },
      apply('the service has no workload'),
    ];
  }

  const changes: string[] = [];
  if (observed.podTemplateHash !== desired.podTemplateHash) {
    changes.push(`roll out revision ${desired.revision} over revision ${observed.revision}`);
  }
  if (portsText(observed.ports) !== portsText(desired.ports)) {
    changes.push(`ports change from [${portsText(observed.ports)}] to [${portsText(desired.ports)}]`);
  }
  const rolloutText = (minReady: number | undefined, deadline: number | undefined) => `minReadySeconds ${minReady}, progressDeadlineSeconds ${deadline}`;
  const settingsWanted = rolloutText(workload.minReadySeconds, desired.type === 'stateless' ? workload.progressDeadlineSeconds : undefined);
  const settingsApplied = rolloutText(observed.minReadySeconds, observed.progressDeadlineSeconds);
  if (observed.minReadySeconds !== undefined && settingsApplied !== settingsWanted) changes.push(`rollout settings change from ${settingsApplied} to ${settingsWanted}`);
  if (changes.length > 0) return [apply(changes.join('; '))];

  if (observed.replicas !== workload.replicas) {
    return [{ action: 'scale', key, replicas: workload.replicas, cause: scaleCause(desired, observed.replicas) }];
  }
  return [];
}

function scaleCause(desired: DesiredService, observedReplicas: number): string {
  if (desired.stopped) return 'the service is stopped';
  if (observedReplicas === 0) return `the service is started with ${desired.instanceNumber} instance(s)`;
  return `scale from ${observedReplicas} to ${desired.instanceNumber}`;
}

/**
 * `80/TCP,8080:80/UDP`: ports in the order the service lists them, the order the engine exposes
 * them, each with its servicePort before a colon where it has one (a servicePort change is a change).
 */
export function portsText(ports: Port[]): string {
  return ports.map((port) => `${port.servicePort === undefined ? '' : `${port.servicePort}:`}${port.port}/${port.protocol}`).join(',');
}

/** The workload of a service's desired state: instanceNumber pods, none while stopped. */
export function workloadOf(desired: DesiredService, resources: PodResources, inputs: PodInputs): WorkloadSpec {
  return {
    ...podTemplateOf(desired, resources, inputs),
    projectQuota: inputs.projectQuota,
    replicas: desired.stopped ? 0 : desired.instanceNumber,
    minReadySeconds: desired.rollout.minReadySeconds,
    progressDeadlineSeconds: desired.rollout.progressDeadlineSeconds,
  };
}
