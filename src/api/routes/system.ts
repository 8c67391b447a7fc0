import { Type } from 'typebox';
import type { Api, ApiContext } from '../context.js';
import { RegionListing } from '../schemas/region.js';

const Health = Type.Object({
  status: Type.Literal('ok'),
  replica: Type.String({ description: 'this replica (WHARF_REPLICA_ID)' }),
  leads: Type.Array(Type.String(), { description: 'the regions whose controller this replica runs' }),
});

export function systemRoutes(api: Api, context: ApiContext): void {
  // Liveness and who this replica is: it answers while the store is down, as a replica that waits for its store is alive.
  api.get(
    '/healthz',
    { schema: { hide: true, response: { 200: Health } } },
    async () => ({
      status: 'ok' as const,
      replica: context.leadership.replica,
      leads: [...context.regions.keys()].filter((region) => context.leadership.leads(region)),
    }),
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
        leader: context.leadership.leader(region.name),
      })),
  );
}
