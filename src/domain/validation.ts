import type { ResourceSpec } from '../model/resource-spec.js';
import type { Container } from '../model/container.js';
import type { GpuSpec, Port, ServiceType } from '../model/service.js';
import { invalidArgs } from './errors.js';
import { checkImage } from './images.js';
import { checkProbes } from './probes.js';

/** What a region allows; from the region's config. */
export interface RegionPolicy {
  resourceSpecs: ResourceSpec[];
  /** The GPU types the region offers (config `gpus`); empty: none. */
  gpus: readonly GpuType[];
  maxInstances: number;
  revisionHistoryLimit: number;
  /** Undefined: any registry but loopback, private and link-local addresses (see checkImage). */
  allowedRegistries: readonly string[] | undefined;
  /**
   * Whether a service can answer on a port other than its pods' (a Kubernetes Service's port and
   * targetPort). Docker's DNS aliases lead straight to the pods, so there a servicePort must equal the port.
   */
  mapsServicePorts: boolean;
  /** The minReadySeconds of a service created without one (config `minReadySeconds`); undefined: 10. */
  defaultMinReadySeconds?: number;
}

/** A GPU type of a region's catalogue, and how each engine asks for it. */
export interface GpuType {
  type: string;
  /** A DeviceRequest's driver and capabilities (all of them required of a device). */
  docker: { driver: string; capabilities: string[] };
  /** The extended resource the cluster's device plugin offers, and the nodes that have this type. */
  kubernetes: { resource: string; nodeSelector: Record<string, string> };
}

/**
 * The rules a JSON schema cannot say. `at` prefixes field names in messages
 * (`microservices[1].` when a service comes inline in an app).
 */
export function checkResourceSpec(name: string, policy: RegionPolicy, at = ''): void {
  if (!policy.resourceSpecs.some((spec) => spec.name === name)) {
    const known = policy.resourceSpecs.map((spec) => spec.name).join(', ');
    throw invalidArgs(`${at}resourceSpec "${name}" is not offered in this region (one of: ${known})`);
  }
}

/** `field` is how the count is named to the user: `instanceNumber`, or `count` for a scale. */
export function checkInstanceNumber(type: ServiceType, count: number, policy: RegionPolicy, field = 'instanceNumber'): void {
  if (type === 'stateful' && count !== 1) {
    throw invalidArgs(`${field} must be 1 for a stateful service, got ${count}`);
  }
  if (!Number.isInteger(count) || count < 1 || count > policy.maxInstances) {
    throw invalidArgs(`${field} must be a whole number from 1 to ${policy.maxInstances}, got ${count}`);
  }
}

export function checkGpuSpec(gpuSpec: GpuSpec, policy: Pick<RegionPolicy, 'gpus'>, at = ''): void {
  if (policy.gpus.some((gpu) => gpu.type === gpuSpec.type)) return;
  const offered = policy.gpus.length === 0
    ? 'this region offers no GPU'
    : `one of: ${policy.gpus.map((gpu) => gpu.type).join(', ')}`;
  throw invalidArgs(`${at}gpuSpec.type "${gpuSpec.type}" is not offered in this region (${offered})`, `${at}gpuSpec.type`);
}

/**
 * One port per (port, protocol) and per (servicePort, protocol), as a Service needs; a servicePort
 * other than the port only where the region can map it. Ports come normalised (see normalizePorts).
 */
export function checkPorts(ports: Port[], policy: Pick<RegionPolicy, 'mapsServicePorts'>, at = ''): void {
  const seen = new Set<string>();
  const servicePorts = new Map<string, number>();
  ports.forEach((port, index) => {
    const id = `${port.port}/${port.protocol}`;
    if (seen.has(id)) throw invalidArgs(`${at}ports[${index}] repeats ${id}`);
    seen.add(id);
    const servicePort = port.servicePort ?? port.port;
    if (servicePort !== port.port && !policy.mapsServicePorts) {
      throw invalidArgs(
        `${at}ports[${index}].servicePort ${servicePort} differs from port ${port.port}, which this region's runtime cannot honour: ` +
          'services reach their pods on the pods\' own ports (Docker DNS aliases), so leave servicePort out or make it equal to port',
        `${at}ports[${index}].servicePort`,
      );
    }
    const serviceId = `${servicePort}/${port.protocol}`;
    const earlier = servicePorts.get(serviceId);
    if (earlier !== undefined) {
      throw invalidArgs(`${at}ports[${index}] answers on ${serviceId}, as ports[${earlier}] does: a service port serves one port`, `${at}ports[${index}].servicePort`);
    }
    servicePorts.set(serviceId, index);
  });
}

export function checkContainers(type: ServiceType, containers: Container[], policy: Pick<RegionPolicy, 'allowedRegistries'>, at = ''): void {
  const names = new Set<string>();
  containers.forEach((container, index) => {
    const here = `${at}containers[${index}]`;
    if (names.has(container.name)) throw invalidArgs(`${here}.name "${container.name}" is used by another container`);
    names.add(container.name);
    checkImage(container.image, policy.allowedRegistries, `${here}.image`);

    if (type === 'stateless' && container.volumeMounts.length > 0) {
      throw invalidArgs(`${here}.volumeMounts must be empty: only a stateful service can mount volumes`);
    }
    const mountPaths = new Map<string, string>();
    const checkMountPath = (path: string, field: string): void => {
      if (path.split('/').includes('..')) throw invalidArgs(`${here}.${field} must not contain ".."`);
      // The engine compares mounts by their normal form: "/m", "/m/" and "/./m" are one target.
      const normal = normalMountPath(path);
      const earlier = mountPaths.get(normal);
      if (earlier !== undefined) throw invalidArgs(`${here}.${field} "${path}" is the same directory as "${earlier}", already mounted`);
      mountPaths.set(normal, path);
    };
    container.volumeMounts.forEach((mount, i) => checkMountPath(mount.mountPath, `volumeMounts[${i}].mountPath`));
    container.configs.forEach((config, i) => checkMountPath(config.mountPath, `configs[${i}].mountPath`));
    if (container.workingDir.split('/').includes('..')) throw invalidArgs(`${here}.workingDir must not contain ".."`);

    checkProbes(container, here);
    container.envs.forEach((env, i) => {
      if (env.type === 'configMap' && parseConfigMapRef(env.value) === undefined) {
        throw invalidArgs(`${here}.envs[${i}].value must be <configMapName>.<key> when type is configMap`);
      }
    });
  });
}

/** `/a//b/./c/` -> `/a/b/c`; paths holding ".." are refused before this. */
export function normalMountPath(path: string): string {
  return `/${path.split('/').filter((part) => part !== '' && part !== '.').join('/')}`;
}

/** `cm.key1` -> { configMap: 'cm', key: 'key1' }. ConfigMap names hold no dot, so the first dot splits. */
export function parseConfigMapRef(value: string): { configMap: string; key: string } | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1) return undefined;
  const configMap = value.slice(0, dot);
  const key = value.slice(dot + 1);
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(configMap) || !/^[-._a-zA-Z0-9]+$/.test(key)) return undefined;
  return { configMap, key };
}

/** Whole-number path parameters (`scale/<count>`, `revisions/<revision>`). */
export function parseWholeNumber(text: string, field: string): number {
  if (!/^[0-9]{1,9}$/.test(text)) throw invalidArgs(`${field} must be a whole number, got "${text}"`);
  return Number(text);
}
