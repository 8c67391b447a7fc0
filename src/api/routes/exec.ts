import { Type } from 'typebox';
import type { FastifyRequest } from 'fastify';
import { invalidArgs } from '../../domain/errors.js';
import { findPod, chooseContainer } from '../../domain/pods.js';
import { chooseProtocol, EXEC_PROTOCOLS, offeredProtocols } from '../../domain/remotecommand.js';
import { describePrincipal } from '../../domain/tokens.js';
import { serviceLabel } from '../../domain/keys.js';
import type { ExecOptions, ExecSession } from '../../runtime/exec.js';
import type { Api, ApiContext } from '../context.js';
import { bridgeExec } from '../exec-bridge.js';
import { ERROR_RESPONSES } from '../schemas/common.js';
import { ExecQuery, ExecUpgrade, flag, PodName } from '../schemas/exec.js';
import { serviceKey, serviceParams, type ServiceScope } from './refs.js';

/**
 * `GET …/microservices/:service/pods/:pod/exec`: a command in a container of a pod, over a
 * WebSocket that speaks Kubernetes' exec protocol (kubectl's and client libraries'). Everything
 * that can refuse — the token (auth.ts, before any lookup), the query, the pod, the container,
 * the subprotocol, the engine — refuses before the upgrade, as an HTTP answer.
 */
export function execRoutes(api: Api, { store, events }: ApiContext, scope: ServiceScope): void {
  const sessions = new WeakMap<FastifyRequest, { session: ExecSession; options: ExecOptions }>();

  api.route({
    method: 'GET',
    url: `${scope.services}/:service/pods/:pod/exec`,
    schema: {
      tags: ['pods'],
      summary: 'Run a command in a container of a pod (a WebSocket, Kubernetes\' exec protocol)',
      description: 'Upgrade to a WebSocket offering v5.channel.k8s.io or v4.channel.k8s.io. A request that is not an upgrade gets 400. Every exec is recorded as an event (Exec).',
      params: Type.Object({ ...serviceParams(scope).properties, pod: PodName }),
      querystring: ExecQuery,
      response: { 101: ExecUpgrade, ...ERROR_RESPONSES },
    },
    preHandler: async (request) => {
      const key = serviceKey(request);
      // An unknown service is 404 ServiceNotFound, not a pod that does not exist.
      await store.getService(key);
      const { runtime } = request.region;
      const pod = findPod(key, runtime.observe(key), request.params.pod);
      const container = chooseContainer(pod, request.query.container);
      const options = execOptions(request.query, container);
      // A plain GET: the handler says what is missing.
      if (!request.ws) return;
      if (!chooseProtocol(offeredProtocols(request.headers['sec-websocket-protocol']))) {
        throw invalidArgs(`offer a subprotocol Wharf speaks in Sec-WebSocket-Protocol: ${EXEC_PROTOCOLS.join(' or ')}`);
      }
      const status = pod.containerStatuses.find((candidate) => candidate.name === container);
      if (status?.state !== 'running') {
        const why = status?.reason ? `: ${status.reason}` : '';
        throw invalidArgs(`container "${container}" of pod ${pod.name} is not running (${status?.state ?? 'unknown'}${why})`, 'container');
      }
      const session = await runtime.exec({ key, pod: pod.name }, options);
      // The client may be gone before the upgrade: the engine's session must not outlive it.
      request.raw.socket.once('close', () => session.close());
      sessions.set(request, { session, options });
      events.record({
        key,
        type: 'Normal',
        reason: 'Exec',
        message: `${describePrincipal(request.principal)} ran ${JSON.stringify(options.command)} in container ${container} of pod ${pod.name} (service ${serviceLabel(key)})`,
        pod: pod.name,
        container,
        revision: pod.revision,
      });
    },
    handler: async () => {
      throw invalidArgs('exec is a WebSocket: send the request as an upgrade (Connection: Upgrade, Upgrade: websocket) offering v5.channel.k8s.io');
    },
    wsHandler: (socket, request) => {
      const prepared = sessions.get(request);
      sessions.delete(request);
      if (!prepared) throw new Error('an exec upgraded without a session');
      bridgeExec(socket, prepared.session, prepared.options.command, request.log);
    },
  });
}

/** Kubernetes' reading of the flags: stdout and stderr unless turned off, no stderr with a terminal (it has one stream). */
function execOptions(query: ExecQuery, container: string): ExecOptions {
  const command = typeof query.command === 'string' ? [query.command] : query.command;
  if (command[0] === undefined || command[0] === '') throw invalidArgs('command must name a program: the first command= is empty', 'command');
  const tty = flag(query.tty, false);
  const options = { container, command, stdin: flag(query.stdin, false), stdout: flag(query.stdout, true), stderr: !tty && flag(query.stderr, true), tty };
  if (!options.stdin && !options.stdout && !options.stderr) throw invalidArgs('attach at least one of stdin, stdout and stderr', 'stdout');
  return options;
}
