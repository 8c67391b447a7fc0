import type { Api, ApiContext } from '../context.js';
import { ERROR_RESPONSES, NoContent, ProjectParams } from '../schemas/common.js';
import { Quota } from '../schemas/quota.js';
import { QuotaLimits } from '../../model/quota.js';

const QUOTA = '/projects/:project/quota';

/** A project's quota: its tokens may read it; only an admin sets or clears it (see whyForbidden). */
export function quotaRoutes(api: Api, { store, commands }: ApiContext): void {
  const quotaView = async (region: string, project: string): Promise<Quota> => {
    const { limits, own, usage } = await store.projectQuota(region, project);
    return { projectName: project, limits, source: own ? 'project' : 'region', usage };
  };

  api.get(
    QUOTA,
    {
      schema: {
        tags: ['quotas'],
        summary: 'The quota of a project and what it uses of it',
        params: ProjectParams,
        response: { 200: Quota, ...ERROR_RESPONSES },
      },
    },
    async (request) => quotaView(request.params.region, request.params.project),
  );

  api.put(
    QUOTA,
    {
      schema: {
        tags: ['quotas'],
        summary: 'Set the quota of a project (admin): every absent field is unlimited. Usage already over it is kept; only growth is refused',
        params: ProjectParams,
        body: QuotaLimits,
        response: { 200: Quota, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { region, project } = request.params;
      await commands.setQuota(region, project, request.body);
      return quotaView(region, project);
    },
  );

  api.delete(
    QUOTA,
    {
      schema: {
        tags: ['quotas'],
        summary: 'Give a project the region\'s default quota again (admin)',
        params: ProjectParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await store.quotas.clear(request.params.region, request.params.project);
      return reply.code(204).send(null);
    },
  );
}
