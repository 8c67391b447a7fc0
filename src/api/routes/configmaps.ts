import { Type } from 'typebox';
import { invalidArgs } from '../../domain/errors.js';
import { checkConfigMapData } from '../../domain/configmaps.js';
import type { Api, ApiContext } from '../context.js';
import { configMapView } from '../present.js';
import { ERROR_RESPONSES, ProjectParams } from '../schemas/common.js';
import { ConfigMap, ConfigMapCreate, ConfigMapParams, ConfigMapUpdate } from '../schemas/configmap.js';

const CONFIGMAPS = '/projects/:project/configmaps';

export function configMapRoutes(api: Api, { store, commands }: ApiContext): void {
  api.post(
    CONFIGMAPS,
    {
      schema: {
        tags: ['configmaps'],
        summary: 'Create a ConfigMap; services of the project waiting for it start',
        params: ProjectParams,
        body: ConfigMapCreate,
        response: { 201: ConfigMap, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { body, params } = request;
      checkConfigMapData(body.data);
      // The services that read it are in the change feed: their pods start (or roll) from there.
      const configMap = await commands.createConfigMap({ region: params.region, project: params.project, name: body.name }, body.data);
      return reply.code(201).send(configMapView(configMap));
    },
  );

  api.get(
    CONFIGMAPS,
    {
      schema: {
        tags: ['configmaps'],
        summary: 'List the ConfigMaps of a project',
        params: ProjectParams,
        response: { 200: Type.Array(ConfigMap), ...ERROR_RESPONSES },
      },
    },
    async (request) => (await store.configMaps.list(request.params.region, request.params.project)).map(configMapView),
  );

  api.get(
    `${CONFIGMAPS}/:name`,
    {
      schema: { tags: ['configmaps'], summary: 'Get a ConfigMap', params: ConfigMapParams, response: { 200: ConfigMap, ...ERROR_RESPONSES } },
    },
    async (request) => configMapView(await store.configMaps.get(request.params)),
  );

  api.put(
    `${CONFIGMAPS}/:name`,
    {
      schema: {
        tags: ['configmaps'],
        summary: 'Replace the data; the pods of every service that reads it are rolled (no new revision)',
        params: ConfigMapParams,
        body: ConfigMapUpdate,
        response: { 200: ConfigMap, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { name } = request.body;
      if (name !== undefined && name !== request.params.name) {
        throw invalidArgs(`name "${name}" does not match the ConfigMap in the path ("${request.params.name}")`, 'name');
      }
      checkConfigMapData(request.body.data);
      const configMap = await commands.updateConfigMap(request.params, request.body.data);
      return configMapView(configMap);
    },
  );

  api.delete(
    `${CONFIGMAPS}/:name`,
    {
      schema: {
        tags: ['configmaps'],
        summary: 'Delete a ConfigMap no service uses (409 ConfigMapInUse otherwise): 202 with it, being deleted, until the engine has removed it',
        params: ConfigMapParams,
        response: { 202: ConfigMap, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      // Only marked here: the controller removes it from the engine, outside any transaction, with retries.
      const deleting = await commands.deleteConfigMap(request.params);
      return reply.code(202).send(configMapView(deleting));
    },
  );
}
