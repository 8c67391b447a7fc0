import { Type } from 'typebox';
import type { Api, ApiContext } from '../context.js';
import { paged, pageId } from '../pagination.js';
import { sendJson } from '../service-json.js';
import { ERROR_RESPONSES, ProjectParams } from '../schemas/common.js';
import { Service } from '../schemas/microservice.js';
import { ServiceListQuery, WATCH_DESCRIPTION } from '../schemas/watch.js';
import { streamWatch, wantsWatch } from './watch.js';

/**
 * V1's every-service-of-a-project route, which the seed lacks: a list across apps (the V2
 * services of the project included), and with `?watch=true` the watch of them all.
 */
export function projectServiceRoutes(api: Api, context: ApiContext): void {
  api.get(
    '/projects/:project/microservices',
    {
      schema: {
        tags: ['microservices'],
        summary: 'List every microservice of a project, of every app and V2 ones, by name then app, a page at a time with ?limit= and ?continue=, or watch them all (?watch=true)',
        description: `${WATCH_DESCRIPTION} A project with nothing in the region has no microservice: [] (its watch shows them as they are created).`,
        params: ProjectParams,
        querystring: ServiceListQuery,
        response: { 200: Type.Array(Service), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { region, params, query } = request;
      if (wantsWatch(query)) {
        await streamWatch(context, request, reply, { kind: 'project', region: region.name, project: params.project });
        return reply;
      }
      const all = await context.store.listProjectServices(region.name, params.project);
      const states = paged(reply, 'project-services', query, all, (state) => [state.key.service, state.key.app]);
      return sendJson(reply, await context.serviceJson.list(`project services ${region.name}/${params.project}${pageId(query)}`, states, region));
    },
  );
}
