import type { ServiceKey } from '../../domain/keys.js';
import type { AppRef } from '../../store/store.js';

/** Requests under `/regions/:region/v1/projects/:project/apps/:app`, after validation. */
interface AppRequest {
  params: { region: string; project: string; app: string };
}

export function appRef({ params }: AppRequest): AppRef {
  return { region: params.region, project: params.project, app: params.app };
}

export function serviceKey({ params }: AppRequest & { params: { service: string } }): ServiceKey {
  return { ...appRef({ params }), service: params.service };
}
