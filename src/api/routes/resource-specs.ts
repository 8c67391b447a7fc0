import { Type } from 'typebox';
import type { Api } from '../context.js';
import { ErrorBody, RegionParams } from '../schemas/common.js';
import { ResourceSpec } from '../../model/resource-spec.js';

export function resourceSpecRoutes(api: Api): void {
  api.get(
    '/resourcespecs',
    {
      schema: {
        tags: ['regions'],
        summary: 'List the resource specs the region offers',
        params: RegionParams,
        response: { 200: Type.Array(ResourceSpec), '4xx': ErrorBody },
      },
    },
    async (request) => request.region.policy.resourceSpecs,
  );
}
