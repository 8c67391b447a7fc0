/** Where a service lives. Every name is resolved inside its region and project. */
export interface ServiceKey {
  region: string;
  project: string;
  /** The app; V2_APP for a service of the V2 API, which has none. */
  app: string;
  service: string;
}

/**
 * The app the services of the V2 API (`/regions/<r>/v2/projects/<p>/microservices`) belong to:
 * one per project, created with its first V2 service and never listed by V1. No V1 app can be
 * named so (app names match `^[a-z][a-z0-9]*$`).
 */
export const V2_APP = '';

/**
 * The name a service's workload has on the engine (Docker's DNS alias and pod names, Kubernetes'
 * workload and Service): `<app>-<service>`, or `<service>` alone for a V2 service. Two services of
 * a project may never share it (the store refuses the second).
 */
export function workloadBaseName(key: ServiceKey): string {
  return key.app === V2_APP ? key.service : `${key.app}-${key.service}`;
}

/** How messages name a service: `shop/web`, or `web` for a V2 service. */
export function serviceLabel(key: ServiceKey): string {
  return key.app === V2_APP ? key.service : `${key.app}/${key.service}`;
}

/** The work-queue and cache key of a service: `region/project/app/service` (no part may hold `/`; app may be empty). */
export function keyString(key: ServiceKey): string {
  return `${key.region}/${key.project}/${key.app}/${key.service}`;
}

export function parseKey(text: string): ServiceKey {
  const [region, project, app, service, ...rest] = text.split('/');
  if (!region || !project || app === undefined || !service || rest.length > 0) {
    throw new Error(`malformed service key: ${text}`);
  }
  return { region, project, app, service };
}
