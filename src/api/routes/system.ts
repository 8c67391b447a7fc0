import { Type } from 'typebox';
import type { Api, ApiContext } from '../context.js';
import { RegionListing } from '../schemas/region.js';

export function systemRoutes(api: Api, context: ApiContext): void {
  api.get(
    '/healthz',
    { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  api.get('/openapi.json', { schema: { hide: true } }, async () => api.swagger());

  api.get(
    '/v1/regions',
    { schema: { tags: ['regions'], summary: 'List regions and the runtime each one drives', response: { 200: Type.Array(RegionListing) } } },
    async () =>
      [...context.regions.values()].map((region) => ({
        name: region.name,
        runtime: region.runtime.kind,
        simulated: region.runtime.kind === 'simulated',
        description: region.runtime.description,
      })),
  );
}
