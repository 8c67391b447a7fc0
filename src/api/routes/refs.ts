import { Type } from 'typebox';
import { V2_APP, type ServiceKey } from '../../domain/keys.js';
import type { AppRef } from '../../store/store.js';
import { AppParams, ProjectParams } from '../schemas/common.js';
import { ServiceName } from '../../model/names.js';

/**
 * Where the microservice routes find their services: V1's are under an app
 * (`/regions/:region/v1/projects/:project/apps/:app/microservices`), V2's directly under the
 * project (`/regions/:region/v2/projects/:project/microservices`), in the project's V2 app.
 */
export interface ServiceScope {
  /** The collection's path, below the API version's prefix. */
  services: string;
  /** The collection's path parameters. */
  params: typeof AppParams | typeof ProjectParams;
}

export const V1_SERVICES: ServiceScope = { services: '/projects/:project/apps/:app/microservices', params: AppParams };
export const V2_SERVICES: ServiceScope = { services: '/projects/:project/microservices', params: ProjectParams };

/** The path parameters of one service of the scope. */
export function serviceParams(scope: ServiceScope) {
  return Type.Object({ ...scope.params.properties, service: ServiceName });
}

/** Requests under a project, after validation: a V1 path names an app, a V2 path none. */
interface ScopedRequest {
  params: { region: string; project: string; app?: string };
}

/** The app a path names; a path that names none (V2) is the project's V2 app. */
export function appRef({ params }: ScopedRequest): AppRef {
  return { region: params.region, project: params.project, app: params.app ?? V2_APP };
}

export type ServiceRequest = ScopedRequest & { params: { service: string } };

export function serviceKey({ params }: ServiceRequest): ServiceKey {
  return { ...appRef({ params }), service: params.service };
}
