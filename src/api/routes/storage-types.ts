import { Type } from 'typebox';
import type { Api } from '../context.js';
import { ErrorBody, RegionParams } from '../schemas/common.js';
import { StorageType } from '../schemas/volume.js';

export function storageTypeRoutes(api: Api): void {
  api.get(
    '/storagetypes',
    {
      schema: {
        tags: ['volumes'],
        summary: 'List the storage types volumes of the region may be made of; the first is the default',
        params: RegionParams,
        response: { 200: Type.Array(StorageType), '4xx': ErrorBody },
      },
    },
    async (request) => request.region.storageTypes.map(({ type, desc, iops }) => ({ type, desc, iops })),
  );
}
