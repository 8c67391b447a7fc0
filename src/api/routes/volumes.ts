import { Type } from 'typebox';
import { requestedStorage } from '../../domain/volumes.js';
import type { Api, ApiContext } from '../context.js';
import { volumeView } from '../present.js';
import { ERROR_RESPONSES, ProjectParams } from '../schemas/common.js';
import { Volume, VolumeCreate, VolumeParams } from '../schemas/volume.js';

const VOLUMES = '/projects/:project/volumes';

export function volumeRoutes(api: Api, { store, commands }: ApiContext): void {
  api.post(
    VOLUMES,
    {
      schema: {
        tags: ['volumes'],
        summary: 'Create a volume of size GiB for stateful services to mount',
        params: ProjectParams,
        body: VolumeCreate,
        response: { 201: Volume, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { body, params, region } = request;
      const storage = requestedStorage(body, region.storageTypes);
      // The change feed wakes the controller, which makes it on the engine.
      const created = await commands.createVolume({ region: params.region, project: params.project, name: body.name }, body.size, storage);
      return reply.code(201).send(volumeView(created, region.runtime));
    },
  );

  api.get(
    VOLUMES,
    {
      schema: {
        tags: ['volumes'],
        summary: 'List the volumes of a project, including those created because a service mounted them',
        params: ProjectParams,
        response: { 200: Type.Array(Volume), ...ERROR_RESPONSES },
      },
    },
    async (request) => (await store.volumes.list(request.params.region, request.params.project)).map((use) => volumeView(use, request.region.runtime)),
  );

  api.get(
    `${VOLUMES}/:name`,
    {
      schema: { tags: ['volumes'], summary: 'Get a volume with the services that mount it', params: VolumeParams, response: { 200: Volume, ...ERROR_RESPONSES } },
    },
    async (request) => volumeView(await store.volumes.get(request.params), request.region.runtime),
  );

  api.delete(
    `${VOLUMES}/:name`,
    {
      schema: {
        tags: ['volumes'],
        summary: 'Delete a volume and its data: 202 with the volume, status deleting, until the engine has removed it; refused (409 VolumeInUse) while a service mounts it',
        params: VolumeParams,
        response: { 202: Volume, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      // Only marked here: the controller removes it from the engine, outside any transaction, with retries.
      const deleting = await commands.deleteVolume(request.params);
      return reply.code(202).send(volumeView(deleting, request.region.runtime));
    },
  );
}
