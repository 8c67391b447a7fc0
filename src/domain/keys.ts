/** Where a service lives. Every name is resolved inside its region and project. */
export interface ServiceKey {
  region: string;
  project: string;
  app: string;
  service: string;
}

/** The work-queue and cache key of a service: `region/project/app/service` (no part may hold `/`). */
export function keyString(key: ServiceKey): string {
  return `${key.region}/${key.project}/${key.app}/${key.service}`;
}

export function parseKey(text: string): ServiceKey {
  const [region, project, app, service, ...rest] = text.split('/');
  if (!region || !project || !app || !service || rest.length > 0) {
    throw new Error(`malformed service key: ${text}`);
  }
  return { region, project, app, service };
}
