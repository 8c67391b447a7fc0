import { Type } from 'typebox';
import { parseWholeNumber } from '../../domain/validation.js';
import type { Api, ApiContext } from '../context.js';
import { revisionView } from '../present.js';
import { ERROR_RESPONSES, NoContent, WholeNumberParam } from '../schemas/common.js';
import { Revision } from '../schemas/microservice.js';
import { serviceKey, serviceParams, type ServiceScope } from './refs.js';

/** The revision routes of one API version (see ServiceScope). */
export function revisionRoutes(api: Api, { store, commands }: ApiContext, scope: ServiceScope): void {
  const SERVICE = `${scope.services}/:service`;
  const ServiceParams = serviceParams(scope);

  api.get(
    `${SERVICE}/revisions`,
    {
      schema: {
        tags: ['revisions'],
        summary: 'List the kept revisions, oldest first',
        params: ServiceParams,
        response: { 200: Type.Array(Revision), ...ERROR_RESPONSES },
      },
    },
    async (request) => (await store.listRevisions(serviceKey(request))).map(revisionView),
  );

  api.put(
    `${SERVICE}/revisions/:revision/rollback`,
    {
      schema: {
        tags: ['revisions'],
        summary: 'Roll back to a kept revision: a new revision with its template, rolled out like an upgrade',
        params: Type.Object({ ...ServiceParams.properties, revision: WholeNumberParam }),
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const revision = parseWholeNumber(request.params.revision, 'revision');
      await commands.rollback(serviceKey(request), request.region.policy, revision);
      return reply.code(204).send(null);
    },
  );
}
