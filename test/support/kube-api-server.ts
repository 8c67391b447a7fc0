import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { parse as parseYaml } from 'yaml';
import { KubeExec } from './kube-exec.js';
import { KubePodLogs } from './kube-logs.js';

/**
 * A Kubernetes API server for tests: the endpoints the Wharf driver calls, with Kubernetes'
 * semantics where the driver depends on them — server-side apply (create or update, field
 * manager required, immutable selectors, a ResourceQuota's validation), the scale subresource, label-selector lists with a
 * resourceVersion, watches resumed from a resourceVersion (410 Gone once it was compacted), 404,
 * 409 AlreadyExists, and injected failures. It runs no controller: tests play the kubelet and
 * the garbage collector with `put` and `remove`. One field manager is modelled: an apply replaces
 * the object but its status and server-set metadata, which is what a single forced manager sees.
 */

export interface RecordedRequest {
  method: string;
  /** As RBAC names it: get, list, watch, create, patch, update, delete, deletecollection. */
  verb: string;
  apiGroup: string;
  /** `deployments`, or `deployments/scale` for a subresource. */
  resource: string;
  namespace?: string;
  name?: string;
  contentType?: string;
  query: URLSearchParams;
}

interface Fault {
  verb?: string;
  resource?: string;
  status: number;
  times: number;
}

interface WatchEvent {
  resourceVersion: number;
  resource: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
}

interface Watcher {
  resource: string;
  namespace?: string;
  selector: string;
  response: ServerResponse;
}

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    [field: string]: unknown;
  };
  spec?: any;
  status?: any;
};

/** A resource quantity as apimachinery parses it: `2`, `1500m`, `1024Mi`, `1.5G`. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** The resource names a ResourceQuota's `hard` may count (object counts are `count/<resource>.<group>`). */
const QUOTA_RESOURCES = /^(pods|services|configmaps|secrets|persistentvolumeclaims|(requests|limits)\.(cpu|memory|ephemeral-storage)|requests\.storage|count\/[a-z0-9.-]+)$/;

/** Why the API server's validation refuses a ResourceQuota, or undefined. */
function invalidResourceQuota(object: KubeObject): string | undefined {
  for (const [resource, quantity] of Object.entries(object.spec?.hard ?? {})) {
    if (!QUOTA_RESOURCES.test(resource)) return `spec.hard[${resource}]: must be a standard resource for quota`;
    if (typeof quantity !== 'string' || !QUANTITY.test(quantity)) return `spec.hard[${resource}]: quantities must match the regular expression`;
  }
  return undefined;
}

const KINDS: Record<string, { apiVersion: string; kind: string; namespaced: boolean; invalid?: (object: KubeObject) => string | undefined }> = {
  namespaces: { apiVersion: 'v1', kind: 'Namespace', namespaced: false },
  // Kept, not enforced: no pod is created through this server (tests play the kubelet), so none is admitted against it.
  resourcequotas: { apiVersion: 'v1', kind: 'ResourceQuota', namespaced: true, invalid: invalidResourceQuota },
  pods: { apiVersion: 'v1', kind: 'Pod', namespaced: true },
  services: { apiVersion: 'v1', kind: 'Service', namespaced: true },
  persistentvolumeclaims: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespaced: true },
  configmaps: { apiVersion: 'v1', kind: 'ConfigMap', namespaced: true },
  deployments: { apiVersion: 'apps/v1', kind: 'Deployment', namespaced: true },
  statefulsets: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespaced: true },
};

const REASONS: Record<number, string> = { 400: 'BadRequest', 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 415: 'UnsupportedMediaType', 422: 'Invalid', 500: 'InternalError' };

export class KubeApiServer {
  readonly requests: RecordedRequest[] = [];
  /** The kubelet's side of `pods/exec` (kube-exec.ts). */
  readonly exec = new KubeExec();
  /** `pods/log` and the metrics API (kube-logs.ts). */
  readonly podLogs = new KubePodLogs((namespace, name) => this.get('pods', namespace, name));
  private readonly objects = new Map<string, KubeObject>();
  private readonly events: WatchEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly faults: Fault[] = [];
  private revision = 0;
  /** Watches from a resourceVersion below this get 410 Gone: etcd compacted their history. */
  private compactedBefore = 0;
  private port = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<KubeApiServer> {
    const api = new KubeApiServer(createServer());
    api.server.on('request', (request, response) => {
      api.handle(request, response).catch((error: unknown) => api.sendStatus(response, 500, String(error)));
    });
    api.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => api.upgrade(request, socket, head));
    await api.listen();
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A kubeconfig (YAML) naming this server; plain HTTP needs insecure-skip-tls-verify in client-node. */
  kubeconfigYaml(): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: test\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      '- name: test\n  user:\n    token: test-token',
      'contexts:',
      '- name: test\n  context:\n    cluster: test\n    user: test',
      'current-context: test',
      '',
    ].join('\n');
  }

  kubeConfig(): KubeConfig {
    const config = new KubeConfig();
    config.loadFromString(this.kubeconfigYaml());
    return config;
  }

  async close(): Promise<void> {
    this.endWatches();
    this.exec.endSessions();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The API server goes away (connections refused) until `restart`, which keeps its port and objects. */
  async stop(): Promise<void> {
    await this.close();
  }

  async restart(): Promise<void> {
    await this.listen(this.port);
  }

  // --- what tests do as the cluster's controllers, or as chaos ---

  /** The next `times` requests matching answer `status` (409 Conflict, 500 InternalError, 410 on a watch, …). */
  failNext(match: { verb?: string; resource?: string }, status: number, times = 1): void {
    this.faults.push({ ...match, status, times });
  }

  /** Ends every open watch cleanly, as an API server's timeout or a load balancer does. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.response.end();
    this.watchers.clear();
  }

  /**
   * Writes elsewhere in the cluster move the revision on, then etcd compacts its history: a watch
   * resumed from a resourceVersion seen before now gets 410 Gone.
   */
  compact(): void {
    this.revision++;
    this.compactedBefore = this.revision + 1;
    this.events.length = 0;
  }

  /** Creates or replaces an object as a controller would, with a new resourceVersion and a watch event. */
  put(resource: string, object: KubeObject): KubeObject {
    const id = this.id(resource, object.metadata.namespace, object.metadata.name);
    const old = this.objects.get(id);
    const stored = this.store(resource, {
      ...typeMetaOf(resource),
      ...object,
      metadata: {
        ...object.metadata,
        uid: old?.metadata.uid ?? randomUUID(),
        creationTimestamp: old?.metadata.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    }, old ? 'MODIFIED' : 'ADDED');
    return stored;
  }

  remove(resource: string, namespace: string | undefined, name: string): void {
    const id = this.id(resource, namespace, name);
    const old = this.objects.get(id);
    if (!old) return;
    this.objects.delete(id);
    this.emit(resource, 'DELETED', { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.revision) } });
  }

  /**
   * Plays the workload controller and the kubelet at once: the pods of a Deployment or StatefulSet
   * become `spec.replicas` running, ready pods of its current template (others are removed).
   */
  rollOut(resource: 'deployments' | 'statefulsets', namespace: string, name: string): KubeObject[] {
    const workload = this.get(resource, namespace, name);
    const want = workload?.spec?.replicas ?? 0;
    const template = workload?.spec?.template ?? { metadata: {} };
    const hash = template.metadata.annotations?.['wharf.io/template-hash'] ?? 'nohash';
    const ours = this.list('pods').filter((pod) => pod.metadata.namespace === namespace && pod.metadata.name.startsWith(`${name}-`));
    for (const pod of ours) {
      if (!workload || pod.metadata.annotations?.['wharf.io/template-hash'] !== hash) this.remove('pods', namespace, pod.metadata.name);
    }
    const kept = this.list('pods').filter((pod) => pod.metadata.namespace === namespace && pod.metadata.name.startsWith(`${name}-`));
    for (let i = kept.length; i < want; i++) {
      const podName = resource === 'statefulsets' ? `${name}-${i}` : `${name}-${hash}-${randomUUID().slice(0, 5)}`;
      this.put('pods', {
        metadata: { name: podName, namespace, labels: template.metadata.labels, annotations: template.metadata.annotations },
        spec: template.spec,
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True' }],
          containerStatuses: (template.spec?.containers ?? []).map((container: { name: string }) => ({
            name: container.name,
            ready: true,
            state: { running: { startedAt: new Date().toISOString() } },
          })),
        },
      });
    }
    for (const pod of kept.slice(want)) this.remove('pods', namespace, pod.metadata.name);
    return this.list('pods').filter((pod) => pod.metadata.namespace === namespace && pod.metadata.name.startsWith(`${name}-`));
  }

  /**
   * Runs `rollOut` for every workload, and garbage-collects the pods of deleted ones, every few
   * milliseconds until the returned function is called: a cluster's controllers, instantly.
   */
  simulateControllers(intervalMs = 20): () => void {
    const timer = setInterval(() => {
      const workloads = (['deployments', 'statefulsets'] as const).flatMap((resource) => this.list(resource).map((workload) => ({ resource, workload })));
      for (const { resource, workload } of workloads) this.rollOut(resource, workload.metadata.namespace!, workload.metadata.name);
      for (const pod of this.list('pods')) {
        const owned = workloads.some(({ workload }) => workload.metadata.namespace === pod.metadata.namespace && pod.metadata.name.startsWith(`${workload.metadata.name}-`));
        if (!owned) this.remove('pods', pod.metadata.namespace, pod.metadata.name);
      }
    }, intervalMs);
    return () => clearInterval(timer);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(this.id(resource, namespace, name));
  }

  list(resource: string): KubeObject[] {
    return [...this.objects.entries()].filter(([id]) => id.startsWith(`${resource}|`)).map(([, object]) => object);
  }

  /** The (verb, apiGroup, resource) triples the server has been asked for, as RBAC would check them. */
  authorizedCalls(): Set<string> {
    return new Set(this.requests.map((request) => `${request.apiGroup}|${request.resource}|${request.verb}`));
  }

  // --- HTTP ---

  private async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const route = parsePath(url.pathname);
    if (!route) return this.sendStatus(response, 404, `the server could not find the requested resource ${url.pathname}`);
    const { apiGroup, namespace, name, subresource } = route;
    const resource = subresource ? `${route.resource}/${subresource}` : route.resource;
    const method = request.method ?? 'GET';
    const verb = verbOf(method, name !== undefined, url.searchParams.get('watch') === 'true');
    const recorded: RecordedRequest = { method, verb, apiGroup, resource, namespace, name, contentType: request.headers['content-type'], query: url.searchParams };
    this.requests.push(recorded);
    const body = await readBody(request);

    const fault = this.faults.find((candidate) => (candidate.verb ?? verb) === verb && (candidate.resource ?? resource) === resource);
    if (fault) {
      if (--fault.times === 0) this.faults.splice(this.faults.indexOf(fault), 1);
      return this.sendStatus(response, fault.status, `injected failure for ${verb} ${resource}`);
    }
    if (this.podLogs.serve(route, url.searchParams, response, (...status) => this.sendStatus(...status))) return;
    if (!KINDS[route.resource]) return this.sendStatus(response, 404, `no resource ${route.resource}`);

    switch (verb) {
      case 'get': {
        const object = this.get(route.resource, namespace, name!);
        return object ? this.sendJson(response, 200, object) : this.sendStatus(response, 404, `${route.resource} "${name}" not found`);
      }
      case 'list':
        return this.sendJson(response, 200, this.listBody(route.resource, namespace, url.searchParams.get('labelSelector') ?? ''));
      case 'watch':
        return this.watch(response, route.resource, namespace, url.searchParams);
      case 'create':
        return this.create(response, route.resource, namespace, body);
      case 'patch':
        if (subresource === 'scale') return this.patchScale(response, route.resource, namespace, name!, request, body);
        return this.apply(response, recorded, route.resource, namespace, name!, request, body);
      case 'delete':
        return this.delete(response, route.resource, namespace, name!);
      default:
        return this.sendStatus(response, 405, `${verb} is not served by the test API server`);
    }
  }

  /** A WebSocket upgrade: only `pods/exec` has one. RBAC checks `get` and (recent API servers) `create` on it. */
  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', this.url);
    const route = parsePath(url.pathname);
    if (!route?.namespace || !route.name || route.resource !== 'pods' || route.subresource !== 'exec') return void socket.destroy();
    for (const verb of ['get', 'create']) this.requests.push({ method: 'GET', verb, apiGroup: '', resource: 'pods/exec', namespace: route.namespace, name: route.name, query: url.searchParams });
    this.exec.upgrade(request, socket, head, { namespace: route.namespace, name: route.name }, this.get('pods', route.namespace, route.name), url.searchParams);
  }

  private listBody(resource: string, namespace: string | undefined, selector: string): unknown {
    const items = this.list(resource)
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .filter((object) => matches(selector, object.metadata.labels ?? {}))
      // Like the real API server, list items carry no apiVersion or kind.
      .map(({ apiVersion: _a, kind: _k, ...item }) => item);
    return { apiVersion: KINDS[resource]!.apiVersion, kind: `${KINDS[resource]!.kind}List`, metadata: { resourceVersion: String(this.revision) }, items };
  }

  private watch(response: ServerResponse, resource: string, namespace: string | undefined, query: URLSearchParams): void {
    const from = Number(query.get('resourceVersion') ?? '0');
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    if (from < this.compactedBefore - 1) {
      const gone = { type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410, message: `too old resource version: ${from}` } };
      response.end(`${JSON.stringify(gone)}\n`);
      return;
    }
    const watcher: Watcher = { resource, namespace, selector: query.get('labelSelector') ?? '', response };
    for (const event of this.events.filter((candidate) => candidate.resourceVersion > from)) this.send(watcher, event);
    this.watchers.add(watcher);
    response.on('close', () => this.watchers.delete(watcher));
  }

  private create(response: ServerResponse, resource: string, namespace: string | undefined, body: string): void {
    const object = JSON.parse(body) as KubeObject;
    if (!this.namespaceExists(namespace)) return this.sendStatus(response, 404, `namespaces "${namespace}" not found`);
    if (this.get(resource, namespace, object.metadata.name)) {
      return this.sendStatus(response, 409, `${resource} "${object.metadata.name}" already exists`, 'AlreadyExists');
    }
    this.sendJson(response, 201, this.put(resource, { ...object, metadata: { ...object.metadata, namespace } }));
  }

  private apply(
    response: ServerResponse,
    recorded: RecordedRequest,
    resource: string,
    namespace: string | undefined,
    name: string,
    request: IncomingMessage,
    body: string,
  ): void {
    if (request.headers['content-type'] !== 'application/apply-patch+yaml') {
      return this.sendStatus(response, 415, `only server-side apply is served, not ${request.headers['content-type']}`);
    }
    const query = new URL(request.url ?? '/', this.url).searchParams;
    if (!query.get('fieldManager')) return this.sendStatus(response, 400, 'fieldManager is required for apply requests');
    const applied = parseYaml(body) as KubeObject;
    const kind = KINDS[resource]!;
    if (applied.apiVersion !== kind.apiVersion || applied.kind !== kind.kind) {
      return this.sendStatus(response, 400, `apply of ${applied.apiVersion}/${applied.kind} to ${resource}`);
    }
    if (applied.metadata?.name !== name) return this.sendStatus(response, 400, `the name in the body (${applied.metadata?.name}) is not ${name}`);
    if (kind.namespaced && !this.namespaceExists(namespace)) return this.sendStatus(response, 404, `namespaces "${namespace}" not found`);
    const invalid = kind.invalid?.(applied);
    if (invalid) return this.sendStatus(response, 422, `${kind.kind} "${name}" is invalid: ${invalid}`);

    const old = this.get(resource, namespace, name);
    if (old?.spec?.selector && JSON.stringify(old.spec.selector) !== JSON.stringify(applied.spec?.selector)) {
      return this.sendStatus(response, 422, `${kind.kind}.apps "${name}" is invalid: spec.selector: field is immutable`);
    }
    // Applying an object that does not exist creates it, and RBAC checks `create` too.
    if (!old) this.requests.push({ ...recorded, verb: 'create' });
    const generation = (old?.metadata.generation ?? 0) + (JSON.stringify(old?.spec) === JSON.stringify(applied.spec) ? 0 : 1);
    const stored = this.put(resource, {
      ...applied,
      metadata: { ...applied.metadata, namespace, generation, managedFields: [{ manager: query.get('fieldManager'), operation: 'Apply' }] },
      ...(old?.status ? { status: old.status } : {}),
    });
    this.sendJson(response, old ? 200 : 201, stored);
  }

  private patchScale(response: ServerResponse, resource: string, namespace: string | undefined, name: string, request: IncomingMessage, body: string): void {
    if (request.headers['content-type'] !== 'application/merge-patch+json') {
      return this.sendStatus(response, 415, `scale is patched here with a merge patch, not ${request.headers['content-type']}`);
    }
    const old = this.get(resource, namespace, name);
    if (!old) return this.sendStatus(response, 404, `${resource}.apps "${name}" not found`);
    const replicas = (JSON.parse(body) as { spec?: { replicas?: number } }).spec?.replicas;
    if (!Number.isInteger(replicas) || replicas! < 0) return this.sendStatus(response, 422, 'spec.replicas must be a whole number');
    const stored = this.put(resource, { ...old, metadata: { ...old.metadata, generation: (old.metadata.generation ?? 0) + 1 }, spec: { ...old.spec, replicas } });
    this.sendJson(response, 200, {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name, namespace, resourceVersion: stored.metadata.resourceVersion },
      spec: { replicas },
      status: { replicas: old.status?.replicas ?? 0 },
    });
  }

  private delete(response: ServerResponse, resource: string, namespace: string | undefined, name: string): void {
    if (!this.get(resource, namespace, name)) return this.sendStatus(response, 404, `${resource} "${name}" not found`);
    this.remove(resource, namespace, name);
    this.sendJson(response, 200, { apiVersion: 'v1', kind: 'Status', status: 'Success', details: { name, kind: resource } });
  }

  // --- storage and events ---

  private store(resource: string, object: KubeObject, type: WatchEvent['type']): KubeObject {
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.revision) } };
    this.objects.set(this.id(resource, stored.metadata.namespace, stored.metadata.name), stored);
    this.emit(resource, type, stored);
    return stored;
  }

  private emit(resource: string, type: WatchEvent['type'], object: KubeObject): void {
    const event = { resourceVersion: this.revision, resource, type, object };
    this.events.push(event);
    for (const watcher of this.watchers) this.send(watcher, event);
  }

  private send(watcher: Watcher, event: WatchEvent): void {
    if (event.resource !== watcher.resource) return;
    if (watcher.namespace !== undefined && event.object.metadata.namespace !== watcher.namespace) return;
    if (!matches(watcher.selector, event.object.metadata.labels ?? {})) return;
    watcher.response.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
  }

  private namespaceExists(namespace: string | undefined): boolean {
    return namespace === undefined || this.get('namespaces', undefined, namespace) !== undefined;
  }

  private id(resource: string, namespace: string | undefined, name: string): string {
    return `${resource}|${namespace ?? ''}|${name}`;
  }

  private sendJson(response: ServerResponse, status: number, body: unknown): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  }

  private sendStatus(response: ServerResponse, code: number, message: string, reason = REASONS[code] ?? 'Unknown', details?: Record<string, string>): void {
    this.sendJson(response, code, { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason, code, ...(details ? { details } : {}) });
  }
}

function typeMetaOf(resource: string): { apiVersion: string; kind: string } {
  const kind = KINDS[resource];
  if (!kind) throw new Error(`the test API server has no resource ${resource}`);
  return { apiVersion: kind.apiVersion, kind: kind.kind };
}

/** `/api/v1/...` or `/apis/<group>/v1[beta1]/...`, namespaced or not, with an optional name and subresource. */
function parsePath(path: string): { apiGroup: string; resource: string; namespace?: string; name?: string; subresource?: string } | undefined {
  const match = /^\/(?:api\/v1|apis\/([a-z0-9.]+)\/v1(?:beta1)?)\/(.+)$/.exec(path);
  if (!match) return undefined;
  const apiGroup = match[1] ?? '';
  const parts = match[2]!.split('/');
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    return { apiGroup, namespace: parts[1], resource: parts[2]!, name: parts[3], subresource: parts[4] };
  }
  return { apiGroup, resource: parts[0]!, name: parts[1], subresource: parts[2] };
}

function verbOf(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return named ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

/** Equality-based label selectors: `k=v`, `k==v`, `k!=v`, `k`, `!k`, joined by commas. */
export function matches(selector: string, labels: Record<string, string>): boolean {
  return selector.split(',').filter(Boolean).every((term) => {
    const [key, value] = term.split(/!?==?/) as [string, string | undefined];
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    if (value === undefined) return key in labels;
    return term.includes('!=') ? labels[key] !== value : labels[key] === value;
  });
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
