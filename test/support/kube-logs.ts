import type { ServerResponse } from 'node:http';
import type { KubeObject } from './kube-api-server.js';

/** What the test API server's router makes of a path (kube-api-server.ts parsePath). */
export interface ApiRoute {
  apiGroup: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

type SendStatus = (response: ServerResponse, code: number, message: string, reason?: string, details?: Record<string, string>) => void;

interface LogLine {
  time: Date;
  text: string;
}

interface ContainerLog {
  current: LogLine[];
  /** The last terminated instance's lines; absent until the container restarted. */
  previous?: LogLine[];
  followers: Set<ServerResponse>;
}

export interface ContainerUsage {
  name: string;
  /** Quantities as metrics-server writes them: `12345678n`, `250m`; `40Mi`, `123456Ki`. */
  cpu: string;
  memory: string;
}

/**
 * The test API server's `pods/log` and metrics.k8s.io PodMetrics, with the API server's answers:
 * the container parameter needed for a pod of several, 400 for a previous instance that does
 * not exist, tailLines, sinceSeconds/sinceTime, timestamps, and follow (a response kept open that
 * `write` appends to, ended by `restart` or `end` as the kubelet ends it with the container).
 * Tests play the kubelet: `write` is what a container prints. The metrics API group is served
 * unless `metricsServed` is false (a cluster without metrics-server).
 */
export class KubePodLogs {
  metricsServed = true;
  private readonly logs = new Map<string, ContainerLog>();
  private readonly metrics = new Map<string, ContainerUsage[]>();

  constructor(private readonly getPod: (namespace: string, name: string) => KubeObject | undefined) {}

  /** A line the container prints now: stored, and sent to every follower. */
  write(namespace: string, pod: string, container: string, text: string, time = new Date()): void {
    const log = this.log(namespace, pod, container);
    log.current.push({ time, text });
    for (const follower of log.followers) follower.write(`${text}\n`);
  }

  /** The container ended and started again: what it wrote becomes the previous instance's, its followers end. */
  restart(namespace: string, pod: string, container: string): void {
    const log = this.log(namespace, pod, container);
    log.previous = log.current;
    log.current = [];
    this.end(namespace, pod, container);
  }

  /** The container ended: every follow of it ends, as the kubelet ends them. */
  end(namespace: string, pod: string, container: string): void {
    const log = this.log(namespace, pod, container);
    for (const follower of log.followers) follower.end();
    log.followers.clear();
  }

  /** Follows open now, over every container. */
  followers(): number {
    return [...this.logs.values()].reduce((sum, log) => sum + log.followers.size, 0);
  }

  setMetrics(namespace: string, pod: string, containers: ContainerUsage[]): void {
    this.metrics.set(`${namespace}/${pod}`, containers);
  }

  /** Serves the request if it is a log or metrics request; false: not one of them. */
  serve(route: ApiRoute, query: URLSearchParams, response: ServerResponse, sendStatus: SendStatus): boolean {
    if (route.apiGroup === 'metrics.k8s.io') {
      this.serveMetrics(route, response, sendStatus);
      return true;
    }
    if (route.apiGroup !== '' || route.resource !== 'pods' || route.subresource !== 'log') return false;
    this.serveLog(route.namespace ?? '', route.name ?? '', query, response, sendStatus);
    return true;
  }

  private serveLog(namespace: string, name: string, query: URLSearchParams, response: ServerResponse, sendStatus: SendStatus): void {
    const pod = this.getPod(namespace, name);
    if (!pod) return sendStatus(response, 404, `pods "${name}" not found`);
    const names: string[] = (pod.spec?.containers ?? []).map((container: { name: string }) => container.name);
    const container = query.get('container') ?? (names.length === 1 ? names[0] : undefined);
    if (container === undefined) return sendStatus(response, 400, `a container name must be specified for pod ${name}, choose one of: [${names.join(' ')}]`);
    if (!names.includes(container)) return sendStatus(response, 400, `container ${container} is not valid for pod ${name}`);
    if (query.get('sinceSeconds') !== null && query.get('sinceTime') !== null) return sendStatus(response, 400, 'at most one of sinceTime or sinceSeconds may be specified');
    const log = this.log(namespace, name, container);
    const previous = query.get('previous') === 'true';
    if (previous && !log.previous) return sendStatus(response, 400, `previous terminated container "${container}" in pod "${name}" not found`);
    const sinceSeconds = query.get('sinceSeconds');
    const sinceTime = query.get('sinceTime');
    const since = sinceSeconds !== null ? Date.now() - Number(sinceSeconds) * 1000 : sinceTime !== null ? Date.parse(sinceTime) : undefined;
    let lines = (previous ? log.previous! : log.current).filter((line) => since === undefined || line.time.getTime() >= since);
    const tail = query.get('tailLines');
    if (tail !== null) lines = lines.slice(Math.max(0, lines.length - Number(tail)));
    const timestamps = query.get('timestamps') === 'true';
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.write(lines.map((line) => `${timestamps ? `${line.time.toISOString()} ` : ''}${line.text}\n`).join(''));
    if (query.get('follow') !== 'true' || previous) return void response.end();
    log.followers.add(response);
    response.on('close', () => log.followers.delete(response));
  }

  private serveMetrics(route: ApiRoute, response: ServerResponse, sendStatus: SendStatus): void {
    // A cluster without the group answers as for any path it does not serve.
    if (!this.metricsServed || route.resource !== 'pods' || !route.name) return sendStatus(response, 404, 'the server could not find the requested resource');
    const containers = this.metrics.get(`${route.namespace}/${route.name}`);
    if (!containers) {
      return sendStatus(response, 404, `podmetrics.metrics.k8s.io "${route.namespace}/${route.name}" not found`, 'NotFound', { name: route.name, group: 'metrics.k8s.io', kind: 'pods' });
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: route.name, namespace: route.namespace },
      timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      window: '10.5s',
      containers: containers.map(({ name, cpu, memory }) => ({ name, usage: { cpu, memory } })),
    }));
  }

  private log(namespace: string, pod: string, container: string): ContainerLog {
    const id = `${namespace}/${pod}/${container}`;
    let log = this.logs.get(id);
    if (!log) this.logs.set(id, (log = { current: [], followers: new Set() }));
    return log;
  }
}
