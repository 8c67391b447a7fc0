import type Docker from 'dockerode';
import type { ContainerSecurity } from '../../config.js';
import type { Container } from '../../model/container.js';
import { V2_APP, workloadBaseName } from '../../domain/keys.js';
import type { PodSpec } from '../../domain/plan.js';
import { containerEnv, type PodConfigMaps } from './configmaps.js';
import { containerLabels, containerName, sandboxLabels, sandboxName, volumeName } from './labels.js';
import { containerConfinement, SANDBOX_USER, sandboxConfinement } from './security.js';

export interface PodSettings {
  region: string;
  /** This Wharf's id, on every object's labels. */
  instanceId: string;
  sandboxImage: string;
  publishPorts: boolean;
  /** The host address published ports bind to. */
  publishAddress: string;
  security: ContainerSecurity;
  /** SIGTERM, then this long before Docker kills the process. */
  stopGraceSeconds: number;
  /** The host's CPUs: Docker refuses a NanoCpus limit above them. */
  hostCpus: number;
}

// Shared by the sandbox and the containers. `always` restarts a crashed process (like a Kubernetes
// pod's restartPolicy Always) and brings pods back when dockerd restarts. `Init` runs Docker's tiny
// init as PID 1: it forwards SIGTERM to the process, which a PID 1 (`sleep`, `httpd`) would ignore,
// so a pod stops within the grace period instead of being killed at its end. Nothing here is
// privileged or shares the host's network; the only host paths mounted are ConfigMap directories, read-only.
const COMMON_HOST_CONFIG: Docker.HostConfig = { RestartPolicy: { Name: 'always' }, Init: true, Privileged: false };

/**
 * The sandbox holds the pod's network namespace: it joins the project network under the service's
 * aliases (its workload base name, keys.ts) and publishes the ports. It runs its image's own
 * command (pause's `/pause`, or whatever the configured image does), so any image that sleeps
 * forever by default can be the sandbox; it runs as `nobody` without capabilities, as it needs neither.
 */
export function sandboxOptions(spec: PodSpec, network: string, settings: PodSettings): Docker.ContainerCreateOptions {
  const { key } = spec;
  const exposed = Object.fromEntries(spec.ports.map((port) => [`${port.port}/${port.protocol.toLowerCase()}`, {}]));
  return {
    name: sandboxName(key, spec.name),
    Image: settings.sandboxImage,
    Hostname: spec.name,
    User: SANDBOX_USER,
    Labels: sandboxLabels(settings, spec),
    ExposedPorts: exposed,
    StopSignal: 'SIGTERM',
    StopTimeout: settings.stopGraceSeconds,
    HostConfig: {
      ...COMMON_HOST_CONFIG,
      ...sandboxConfinement(settings.security),
      NetworkMode: network,
      // An empty HostPort asks Docker for a random free port. Without a HostIp Docker would listen
      // on every host address, the bridge gateways included: pods of other projects could connect.
      PortBindings: settings.publishPorts
        ? Object.fromEntries(Object.keys(exposed).map((port) => [port, [{ HostIp: settings.publishAddress, HostPort: '' }]]))
        : {},
    },
    NetworkingConfig: {
      // `<service>.<app>` as well for a V1 service; a V2 service has no app to name.
      EndpointsConfig: { [network]: { Aliases: [...(key.app === V2_APP ? [] : [`${key.service}.${key.app}`]), workloadBaseName(key)] } },
    },
  };
}

/**
 * One spec container in the sandbox's network namespace. `command` replaces the image's
 * entrypoint and `args` its command, as in Kubernetes. Limits are the resource spec's, per
 * container (the seed's "容器资源规格"), and so are GPUs: each container asks the engine for the
 * service's number of them. `configMap` envs take the ConfigMap's value at creation;
 * `configs` bind-mount the ConfigMap's own directory read-only (one file per key).
 */
export function containerOptions(
  spec: PodSpec,
  container: Container,
  sandboxId: string,
  settings: PodSettings,
  configMaps: PodConfigMaps,
): Docker.ContainerCreateOptions {
  const { key } = spec;
  const memory = spec.resources.memoryMb * 1024 * 1024;
  const { gpus } = spec.resources;
  const mountTargets = [...container.volumeMounts, ...container.configs].map((mount) => mount.mountPath);
  return {
    name: containerName(key, spec.name, container.name),
    Image: container.image,
    ...(container.command.length > 0 ? { Entrypoint: container.command } : {}),
    ...(container.args.length > 0 ? { Cmd: container.args } : {}),
    ...(container.workingDir ? { WorkingDir: container.workingDir } : {}),
    Env: containerEnv(container, configMaps),
    Labels: containerLabels(settings, spec, container),
    StopSignal: 'SIGTERM',
    StopTimeout: settings.stopGraceSeconds,
    HostConfig: {
      ...COMMON_HOST_CONFIG,
      ...containerConfinement(settings.security, mountTargets),
      NetworkMode: `container:${sandboxId}`,
      NanoCpus: Math.round(Math.min(spec.resources.cpu, settings.hostCpus) * 1e9),
      Memory: memory,
      // Equal to Memory: no swap, else the limit would not bound what the container holds.
      MemorySwap: memory,
      ...(gpus ? { DeviceRequests: [{ Driver: gpus.type.docker.driver, Count: gpus.number, Capabilities: [gpus.type.docker.capabilities] }] } : {}),
      Mounts: [
        ...container.volumeMounts.map((mount) => ({
          Type: 'volume' as const,
          Source: volumeName(key.region, key.project, mount.volumeName),
          Target: mount.mountPath,
          ReadOnly: mount.readOnly,
        })),
        ...container.configs.map((config) => ({
          Type: 'bind' as const,
          Source: configMaps.get(config.configMapName)!.hostDir,
          Target: config.mountPath,
          ReadOnly: true,
        })),
      ],
    },
  };
}
