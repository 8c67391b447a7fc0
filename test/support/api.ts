import assert from 'node:assert/strict';
import type { TestWharf } from './wharf.js';

/** The admin token test servers start with (WHARF_ADMIN_TOKEN), sent by default. */
export const TEST_ADMIN_TOKEN = 'wharf-test-admin-token';

/** What a test request authenticates with: a token in one of the two headers, or nothing. */
export type Credentials = { token: string; header?: 'x-auth-token' | 'bearer' } | 'none';

export function authHeaders(credentials: Credentials): Record<string, string> {
  if (credentials === 'none') return {};
  return credentials.header === 'bearer' ? { authorization: `Bearer ${credentials.token}` } : { 'x-auth-token': credentials.token };
}

/** The seed's paths for one region and project. */
export function apiPaths(region = 'local', project = 'proj') {
  const apps = `/regions/${region}/v1/projects/${project}/apps`;
  const service = (app: string, name: string): string => `${apps}/${app}/microservices/${name}`;
  return {
    resourceSpecs: `/regions/${region}/v1/resourcespecs`,
    apps,
    app: (app: string): string => `${apps}/${app}`,
    services: (app: string): string => `${apps}/${app}/microservices`,
    service,
    action: (app: string, name: string, action: string): string => `${service(app, name)}/${action}`,
    revisions: (app: string, name: string): string => `${service(app, name)}/revisions`,
    rollback: (app: string, name: string, revision: number | string): string =>
      `${service(app, name)}/revisions/${revision}/rollback`,
    configMaps: `/regions/${region}/v1/projects/${project}/configmaps`,
    configMap: (name: string): string => `/regions/${region}/v1/projects/${project}/configmaps/${name}`,
    volumes: `/regions/${region}/v1/projects/${project}/volumes`,
    volume: (name: string): string => `/regions/${region}/v1/projects/${project}/volumes/${name}`,
    quota: `/regions/${region}/v1/projects/${project}/quota`,
  };
}

export type ApiPaths = ReturnType<typeof apiPaths>;

/** The KE SDK's V2 paths for one region and project: services directly under the project. */
export function apiV2Paths(region = 'local', project = 'proj') {
  const services = `/regions/${region}/v2/projects/${project}/microservices`;
  const service = (name: string): string => `${services}/${name}`;
  return {
    services,
    service,
    action: (name: string, action: string): string => `${service(name)}/${action}`,
    revisions: (name: string): string => `${service(name)}/revisions`,
    rollback: (name: string, revision: number | string): string => `${service(name)}/revisions/${revision}/rollback`,
  };
}

export interface Answer {
  status: number;
  body: any;
}

/** The error shape of DESIGN.md §3: `{error, message}` and the field as `key` where there is one, the message naming `mentions`. */
export function assertError(answer: Answer, status: number, code: string, mentions?: string | RegExp): void {
  assert.equal(answer.status, status, `expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  const fields = Object.keys(answer.body).sort();
  assert.ok(fields.join() === 'error,message' || fields.join() === 'error,key,message', `an error is {error, message[, key]}: ${JSON.stringify(answer.body)}`);
  if (fields.includes('key')) assert.equal(typeof answer.body.key, 'string');
  assert.equal(answer.body.error, code);
  assert.equal(typeof answer.body.message, 'string');
  if (typeof mentions === 'string') assert.ok(answer.body.message.includes(mentions), `message "${answer.body.message}" should name ${mentions}`);
  else if (mentions) assert.match(answer.body.message, mentions);
}

export function assertInvalid(answer: Answer, mentions: string | RegExp): void {
  assertError(answer, 400, 'InvalidArgs', mentions);
}

export async function createApp(
  wharf: TestWharf,
  name: string,
  microservices: Array<Record<string, unknown>> = [],
  paths: ApiPaths = apiPaths(),
): Promise<any> {
  const answer = await wharf.request('POST', paths.apps, { name, microservices });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

export async function createService(
  wharf: TestWharf,
  app: string,
  body: Record<string, unknown>,
  paths: ApiPaths = apiPaths(),
): Promise<any> {
  const answer = await wharf.request('POST', paths.services(app), body);
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

/** Every pod of the latest revision runs, and only those: the rollout is over. */
export function isRunning(service: any): boolean {
  return (
    service.status.phase === 'running' &&
    service.pods.length === service.instanceNumber &&
    service.pods.every((pod: any) => pod.status.phase === 'running' && pod.revision === service.revision)
  );
}

export function isStopped(service: any): boolean {
  return service.status.phase === 'stopped' && service.pods.length === 0;
}

/** Repeats `probe` until `predicate` holds for its result; fails with the last result after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (predicate(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`condition never held; last seen: ${JSON.stringify(last)}`);
}

/** A string of `length` characters, for limits. */
export function ofLength(length: number, first = 'a', rest = 'a'): string {
  return length === 0 ? '' : first + rest.repeat(length - 1);
}

/** Every state of a service seen by polling GET until `until` holds: a rollout seen from the outside. */
export async function watchService(
  wharf: TestWharf,
  path: string,
  until: (service: any) => boolean,
  timeoutMs = 10_000,
): Promise<any[]> {
  const seen: any[] = [];
  await eventually(
    async () => {
      const service = (await wharf.request('GET', path)).body;
      seen.push(service);
      return service;
    },
    until,
    timeoutMs,
  );
  return seen;
}

/** The pods of a service whose containers run. */
/** A service's status without its rollout: the counts and phase tests compare whole. */
export function countsOf(status: any): Record<string, unknown> {
  const { rollout: _rollout, ...counts } = status;
  return counts;
}

export function runningPods(service: any): any[] {
  return service.pods.filter((pod: any) => pod.status.phase === 'running');
}
