import { Type } from 'typebox';
import type { Region } from '../../regions.js';
import {
  scaleService,
  setPorts,
  setStopped,
  upgradeService,
  type DesiredService,
  type ServiceChange,
  type ServiceState,
} from '../../domain/service.js';
import { parseWholeNumber } from '../../domain/validation.js';
import type { Api, ApiContext } from '../context.js';
import { serviceView } from '../present.js';
import { paged, pageId } from '../pagination.js';
import { sendJson } from '../service-json.js';
import { ERROR_RESPONSES, NoContent, WholeNumberParam } from '../schemas/common.js';
import { appRef, serviceKey, serviceParams, type ServiceRequest, type ServiceScope } from './refs.js';
import { PortsUpdate, Service } from '../schemas/microservice.js';
import { ServiceCreate, ServiceUpgrade } from '../../model/service.js';
import { ServiceListQuery, WATCH_DESCRIPTION, WatchQuery } from '../schemas/watch.js';
import { streamWatch, wantsWatch } from './watch.js';

/** The microservice routes of one API version: V1's under an app, V2's under the project (see ServiceScope). */
export function microserviceRoutes(api: Api, context: ApiContext, scope: ServiceScope): void {
  const { store, commands, serviceJson } = context;
  const SERVICE = `${scope.services}/:service`;
  const ServiceParams = serviceParams(scope);

  /** Commits a change to one service (the store's change feed wakes the controller) and returns the committed state. */
  const change = (
    request: ServiceRequest & { region: Region },
    apply: (current: ServiceState, now: string) => ServiceChange,
  ): Promise<DesiredService> => commands.changeService(serviceKey(request), request.region.policy, apply);

  api.post(
    scope.services,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Create a stateful or stateless microservice',
        params: scope.params,
        body: ServiceCreate,
        response: { 201: Service, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { region, body } = request;
      const state = await commands.createService(appRef(request), body, region.policy);
      return reply.code(201).send(serviceView(state, region.runtime.observe(state.key)));
    },
  );

  api.get(
    scope.services,
    {
      schema: {
        tags: ['microservices'],
        summary: 'List the microservices of an app (V2: of the project) by name, a page at a time with ?limit= and ?continue=, or watch them (?watch=true)',
        description: WATCH_DESCRIPTION,
        params: scope.params,
        querystring: ServiceListQuery,
        response: { 200: Type.Array(Service), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      if (wantsWatch(request.query)) {
        await streamWatch(context, request, reply, { kind: 'app', ref: appRef(request) });
        return reply;
      }
      const { region, query } = request;
      const ref = appRef(request);
      const states = paged(reply, 'services', query, await store.listServices(ref), (state) => [state.key.service]);
      return sendJson(reply, await serviceJson.list(`services ${ref.region}/${ref.project}/${ref.app}${pageId(query)}`, states, region));
    },
  );

  api.get(
    SERVICE,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Get a microservice with its status and pods, or watch it (?watch=true)',
        description: WATCH_DESCRIPTION,
        params: ServiceParams,
        querystring: WatchQuery,
        response: { 200: Service, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const key = serviceKey(request);
      if (wantsWatch(request.query)) {
        await streamWatch(context, request, reply, { kind: 'service', key });
        return reply;
      }
      return sendJson(reply, serviceJson.of(await store.getService(key), request.region));
    },
  );

  api.delete(
    SERVICE,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Delete a microservice and its pods (its volumes and ConfigMaps stay)',
        params: ServiceParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const key = serviceKey(request);
      await store.deleteService(key);
      return reply.code(204).send(null);
    },
  );

  for (const [action, stopped] of [['stop', true], ['start', false]] as const) {
    api.put(
      `${SERVICE}/${action}`,
      {
        schema: {
          tags: ['microservices'],
          summary: stopped ? 'Stop: remove every pod, keep the service' : 'Start: run instanceNumber pods again',
          params: ServiceParams,
          response: { 204: NoContent, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        await change(request, (current, now) => setStopped(current, stopped, now));
        return reply.code(204).send(null);
      },
    );
  }

  api.put(
    `${SERVICE}/scale/:count`,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Scale a stateless microservice to count pods',
        params: Type.Object({ ...ServiceParams.properties, count: WholeNumberParam }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const count = parseWholeNumber(request.params.count, 'count');
      await change(request, (current, now) => scaleService(current, count, request.region.policy, now));
      return reply.code(204).send(null);
    },
  );

  api.put(
    `${SERVICE}/upgrade`,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Upgrade the resource spec and/or containers: a new revision, rolled out',
        params: ServiceParams,
        body: ServiceUpgrade,
        response: { 200: Service, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { region } = request;
      const state = await change(request, (current, now) => upgradeService(current, request.body, region.policy, now));
      return serviceView(state, region.runtime.observe(state.key));
    },
  );

  api.put(
    `${SERVICE}/ports`,
    {
      schema: {
        tags: ['microservices'],
        summary: 'Replace the ports (no new revision)',
        params: ServiceParams,
        body: PortsUpdate,
        response: { 200: Service, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const state = await change(request, (current, now) => setPorts(current, request.body.ports, request.region.policy, now));
      return serviceView(state, request.region.runtime.observe(state.key));
    },
  );
}
