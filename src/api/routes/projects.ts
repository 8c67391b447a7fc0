import { Type } from 'typebox';
import type { Api, ApiContext } from '../context.js';
import { ERROR_RESPONSES, RegionParams } from '../schemas/common.js';
import { Project } from '../schemas/project.js';

export function projectRoutes(api: Api, { store }: ApiContext): void {
  api.get(
    '/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'The projects the token may see, with their app counts: every project with something in the region for an admin, the token\'s own projects otherwise',
        params: RegionParams,
        response: { 200: Type.Array(Project), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { principal } = request;
      const counts = await store.projectAppCounts(request.region.name);
      const names = principal.admin ? [...counts.keys()] : [...principal.projects];
      return names.sort().map((name) => ({ name, description: '', appCount: counts.get(name) ?? 0 }));
    },
  );
}
