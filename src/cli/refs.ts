import type { WharfClient } from './client.js';
import { UsageError } from './errors.js';

/**
 * A service as the command line names it: `APP/SERVICE`, or `/SERVICE` for a V2 service (one
 * directly under the project: its app is the empty name, as the API answers its `appName`).
 */
export interface ServiceRef {
  app: string;
  service: string;
}

export interface PodRef extends ServiceRef {
  pod: string;
}

const SERVICE_FORMS = 'APP/SERVICE (a V2 service: /SERVICE)';

export function parseServiceRef(text: string): ServiceRef {
  const parts = text.split('/');
  if (parts.length !== 2 || !parts[1]) throw new UsageError(`"${text}" is not a service: write ${SERVICE_FORMS}`);
  return { app: parts[0]!, service: parts[1] };
}

/** `APP/SERVICE/POD` (a V2 service's pod: `/SERVICE/POD`). */
export function parsePodRef(text: string): PodRef {
  const parts = text.split('/');
  if (parts.length !== 3 || !parts[1] || !parts[2]) throw new UsageError(`"${text}" is not a pod: write APP/SERVICE/POD (a V2 service's pod: /SERVICE/POD)`);
  return { app: parts[0]!, service: parts[1], pod: parts[2] };
}

/** A service or a pod of one: `APP/SERVICE[/POD]`, as `wharf logs` takes either. */
export function parseServiceOrPodRef(text: string): ServiceRef | PodRef {
  return text.split('/').length === 3 ? parsePodRef(text) : parseServiceRef(text);
}

export function refText(ref: ServiceRef): string {
  return `${ref.app}/${ref.service}`;
}

/** The API path of a service: V1 under its app, V2 directly under the project. */
export function servicePath(client: WharfClient, ref: ServiceRef): string {
  const service = encodeURIComponent(ref.service);
  if (ref.app === '') return `${client.projectV2Path}/microservices/${service}`;
  return `${client.projectPath}/apps/${encodeURIComponent(ref.app)}/microservices/${service}`;
}

export function podPath(client: WharfClient, ref: PodRef): string {
  return `${servicePath(client, ref)}/pods/${encodeURIComponent(ref.pod)}`;
}
