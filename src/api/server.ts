import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { WharfError } from '../domain/errors.js';
import { chooseProtocol } from '../domain/remotecommand.js';
import type { Region } from '../regions.js';
import { decoratePrincipal, requireTokens } from './auth.js';
import type { Api, ApiContext } from './context.js';
import { handleError } from './errors.js';
import { refuseNul } from './nul.js';
import { RequestLog } from './request-log.js';
import { readBodiesTolerantly } from './tolerant-reading.js';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../model/schema-helpers.js';
import { appRoutes } from './routes/apps.js';
import { configMapRoutes } from './routes/configmaps.js';
import { execRoutes } from './routes/exec.js';
import { metricsRoutes } from './routes/metrics.js';
import { logRoutes } from './routes/logs.js';
import { projectEventRoutes, serviceEventRoutes } from './routes/events.js';
import { microserviceRoutes } from './routes/microservices.js';
import { V1_SERVICES, V2_SERVICES } from './routes/refs.js';
import { resourceSpecRoutes } from './routes/resource-specs.js';
import { storageTypeRoutes } from './routes/storage-types.js';
import { revisionRoutes } from './routes/revisions.js';
import { systemRoutes } from './routes/system.js';
import { projectRoutes } from './routes/projects.js';
import { projectServiceRoutes } from './routes/project-services.js';
import { quotaRoutes } from './routes/quotas.js';
import { volumeRoutes } from './routes/volumes.js';
import { tokenRoutes } from './routes/tokens.js';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildServer(context: ApiContext, logger: Logger): Promise<Api> {
  // Unique across replicas and restarts without a UUID per request: a random prefix, then a counter.
  const requestIdPrefix = randomBytes(6).toString('base64url');
  let requests = 0;
  const api: Api = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new RequestLog(logger),
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    // The KE SDK sends its own request id as X-Reqid: keep it, so both sides log one id.
    genReqId: (request) => {
      const reqid = request.headers['x-reqid'];
      return typeof reqid === 'string' && reqid !== '' ? reqid : `${requestIdPrefix}-${(++requests).toString(36)}`;
    },
    // Bodies are checked exactly as sent: no unknown field dropped, no "1" taken for 1.
    // x-output-only and x-zero-is-absent annotate schemas for the tolerant reader (tolerant-reading.ts).
    // verbose: an error carries its schema, so a message can give the field's other limits.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, verbose: true, keywords: [OUTPUT_ONLY, ZERO_IS_ABSENT] } },
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Bodiless actions (stop, start, scale, rollback, DELETE) are sent with whatever content type the
  // client's library uses (the KE Go SDK: an empty form post): an empty body is no body, whatever
  // its type. A route that needs a body still refuses it; a non-empty body must be JSON.
  const parseJson = api.getDefaultJsonParser('error', 'error');
  api.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') done(null, undefined);
    else parseJson(request, text, done);
  });
  api.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if (body.length === 0) done(null, undefined);
    else done(Object.assign(new Error('the body is not JSON'), { statusCode: 415 }), undefined);
  });

  api.setErrorHandler(handleError);
  refuseNul(api);
  readBodiesTolerantly(api, context.fieldValidation);
  api.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'NotFound', message: `no route ${request.method} ${request.url}` });
  });
  // Callback-style hooks on the hot path: an async hook costs a promise per request.
  api.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id).header('x-reqid', request.id);
    done();
  });

  await api.register(swagger, {
    openapi: {
      info: {
        title: 'Wharf microservice API',
        version: '1',
        description: 'The seed microservice API: regions, projects, apps, microservices, pods, revisions, plus ConfigMaps, volumes and tokens.',
      },
      components: {
        securitySchemes: {
          authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
          bearerToken: { type: 'http', scheme: 'bearer' },
        },
      },
      // Either header will do; /healthz, /openapi.json and /docs need none.
      security: [{ authToken: [] }, { bearerToken: [] }],
    },
  });
  await api.register(swaggerUi, { routePrefix: '/docs' });
  // Exec's WebSockets (routes/exec.ts): the route refuses an upgrade offering no subprotocol it speaks.
  await api.register(websocket, { options: { handleProtocols: (offered) => chooseProtocol(offered) ?? false, maxPayload: BODY_LIMIT_BYTES } });

  decoratePrincipal(api);
  if (context.auth !== 'off') requireTokens(api, context.auth.adminToken, context.tokens);
  systemRoutes(api, context);
  metricsRoutes(api, context);
  tokenRoutes(api, context);
  await api.register(
    async (regional: Api) => {
      resolveRegion(regional, context);
      resourceSpecRoutes(regional);
      storageTypeRoutes(regional);
      appRoutes(regional, context);
      microserviceRoutes(regional, context, V1_SERVICES);
      revisionRoutes(regional, context, V1_SERVICES);
      execRoutes(regional, context, V1_SERVICES);
      logRoutes(regional, context, V1_SERVICES);
      configMapRoutes(regional, context);
      volumeRoutes(regional, context);
      quotaRoutes(regional, context);
      projectRoutes(regional, context);
      projectServiceRoutes(regional, context);
      serviceEventRoutes(regional, context, V1_SERVICES);
      projectEventRoutes(regional, context);
    },
    { prefix: '/regions/:region/v1' },
  );
  // The KE SDK's V2 API: V1's microservice and revision routes, with services directly under the project.
  await api.register(
    async (regional: Api) => {
      resolveRegion(regional, context);
      microserviceRoutes(regional, context, V2_SERVICES);
      revisionRoutes(regional, context, V2_SERVICES);
      execRoutes(regional, context, V2_SERVICES);
      logRoutes(regional, context, V2_SERVICES);
      serviceEventRoutes(regional, context, V2_SERVICES);
    },
    { prefix: '/regions/:region/v2' },
  );
  return api;
}

/** Resolves the `:region` of the routes registered on `regional` before validation; unknown: 404 RegionNotFound. */
function resolveRegion(regional: Api, context: ApiContext): void {
  regional.decorateRequest('region', null as unknown as Region);
  regional.addHook('onRequest', (request, _reply, done) => {
    const name = (request.params as { region?: string }).region ?? '';
    const region = context.regions.get(name);
    if (!region) return done(new WharfError('RegionNotFound', `region "${name}" does not exist`));
    request.region = region;
    done();
  });
}
