import { Type } from 'typebox';
import { invalidArgs } from '../../domain/errors.js';
import { parseLogQuery } from '../../domain/log-query.js';
import { chooseContainer, findPod } from '../../domain/pods.js';
import { serviceLogs } from '../../runtime/service-logs.js';
import type { Api, ApiContext } from '../context.js';
import { ERROR_RESPONSES } from '../schemas/common.js';
import { LogQueryString, LogText } from '../schemas/logs.js';
import { PodStats } from '../../model/stats.js';
import { sendText } from '../text-stream.js';
import { serviceKey, serviceParams, type ServiceScope } from './refs.js';

/** How often a followed service log looks for pods that appeared or went. */
const SERVICE_LOG_POLL_MS = 1000;

const TEXT_RESPONSE = { 200: { description: 'the log as text/plain', content: { 'text/plain': { schema: LogText } } }, ...ERROR_RESPONSES };

/** What runs: a pod's and a service's logs, a pod's CPU, memory and network use. V1's under an app, V2's under the project. */
export function logRoutes(api: Api, { store }: ApiContext, scope: ServiceScope): void {
  const SERVICE = `${scope.services}/:service`;
  const ServiceParams = serviceParams(scope);
  const PodParams = Type.Object({ ...ServiceParams.properties, pod: Type.String({ minLength: 1, maxLength: 253 }) });

  api.get(
    `${SERVICE}/pods/:pod/logs`,
    {
      // A HEAD would open (and, followed, hold) an engine stream only to throw its bytes away.
      exposeHeadRoute: false,
      schema: {
        tags: ['logs'],
        summary: 'The log of one container of a pod (Kubernetes\' pods/log parameters); streamed with follow=true',
        params: PodParams,
        querystring: LogQueryString,
        response: TEXT_RESPONSE,
      },
    },
    async (request, reply) => {
      const key = serviceKey(request);
      await store.getService(key);
      const { runtime } = request.region;
      const pod = findPod(key, runtime.observe(key), request.params.pod);
      const { container, query } = parseLogQuery(request.query);
      const log = await runtime.logs({ key, pod: pod.name }, { ...query, container: chooseContainer(pod, container) });
      return sendText(request, reply, log);
    },
  );

  api.get(
    `${SERVICE}/logs`,
    {
      exposeHeadRoute: false,
      schema: {
        tags: ['logs'],
        summary: 'The logs of every container of every pod, each line prefixed [pod/container]; follow=true follows pods a rollout adds',
        params: ServiceParams,
        querystring: LogQueryString,
        response: TEXT_RESPONSE,
      },
    },
    async (request, reply) => {
      const key = serviceKey(request);
      const service = await store.getService(key);
      const { container, query } = parseLogQuery(request.query);
      if (container !== undefined) {
        // The current template's and those of pods of an earlier revision still running (a rollout under way).
        const pods = request.region.runtime.observe(key).pods;
        const names = new Set([...service.containers.map((each) => each.name), ...pods.flatMap((pod) => pod.containerStatuses.map((status) => status.name))]);
        if (!names.has(container)) throw invalidArgs(`container "${container}" is not a container of the service; choose one of: ${[...names].join(', ')}`, 'container');
      }
      const log = serviceLogs({
        runtime: request.region.runtime,
        key,
        container,
        query,
        pollMs: SERVICE_LOG_POLL_MS,
        onSkip: (pod, name, error) => request.log.debug({ pod, container: name, err: error }, 'a container\'s log is left out'),
      });
      return sendText(request, reply, log);
    },
  );

  api.get(
    `${SERVICE}/pods/:pod/stats`,
    {
      schema: {
        tags: ['logs'],
        summary: 'CPU, memory and network use of a pod now (Docker: its stats API; Kubernetes: the metrics API, 501 without metrics-server)',
        params: PodParams,
        response: { 200: PodStats, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const key = serviceKey(request);
      await store.getService(key);
      const { runtime } = request.region;
      const pod = findPod(key, runtime.observe(key), request.params.pod);
      return runtime.stats({ key, pod: pod.name });
    },
  );
}
