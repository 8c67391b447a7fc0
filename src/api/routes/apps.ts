import { Type } from 'typebox';
import { invalidArgs } from '../../domain/errors.js';
import type { Api, ApiContext } from '../context.js';
import { appView } from '../present.js';
import { paged, pageId } from '../pagination.js';
import { PageQuery } from '../schemas/page.js';
import { sendJson } from '../service-json.js';
import { App, AppCreate } from '../schemas/app.js';
import { appRef } from './refs.js';
import { AppParams, ERROR_RESPONSES, NoContent, ProjectParams } from '../schemas/common.js';

export function appRoutes(api: Api, { store, commands, serviceJson }: ApiContext): void {
  api.post(
    '/projects/:project/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'Create an app, optionally with its microservices (all or nothing)',
        params: ProjectParams,
        body: AppCreate,
        response: { 201: App, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { region, body } = request;
      const { project } = request.params;
      if (body.projectName !== undefined && body.projectName !== project) {
        throw invalidArgs(`projectName "${body.projectName}" does not match the project in the path ("${project}")`);
      }
      const app = await commands.createApp({ region: region.name, project, app: body.name }, body.microservices ?? [], region.policy);
      return reply.code(201).send(appView(app, (state) => region.runtime.observe(state.key)));
    },
  );

  api.get(
    '/projects/:project/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'List the apps of a project by name (an array; empty for a project with nothing in it); ?limit= and ?continue= page it',
        params: ProjectParams,
        querystring: PageQuery,
        response: { 200: Type.Array(App), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { region, query } = request;
      const { project } = request.params;
      const apps = paged(reply, 'apps', query, await store.listApps(region.name, project), (app) => [app.name]);
      return sendJson(reply, await serviceJson.apps(`apps ${region.name}/${project}${pageId(query)}`, apps, region));
    },
  );

  api.get(
    '/projects/:project/apps/:app',
    {
      schema: { tags: ['apps'], summary: 'Get an app', params: AppParams, response: { 200: App, ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      const app = await store.getApp(appRef(request));
      return sendJson(reply, serviceJson.app(app, request.region));
    },
  );

  api.delete(
    '/projects/:project/apps/:app',
    {
      schema: {
        tags: ['apps'],
        summary: 'Delete an app and its microservices (volumes and ConfigMaps stay)',
        params: AppParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await store.deleteApp(appRef(request));
      return reply.code(204).send(null);
    },
  );
}
