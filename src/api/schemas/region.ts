import { Type, type Static } from 'typebox';
import { RuntimeKind } from '../../model/region.js';

/** A region as `GET /v1/regions` lists it (the running region is `Region` in src/regions.ts). */
export const RegionListing = Type.Object(
  {
    name: Type.String(),
    runtime: RuntimeKind,
    simulated: Type.Boolean({ description: 'true when nothing real runs: pods are in-memory simulations' }),
    description: Type.String(),
  },
);
export type RegionListing = Static<typeof RegionListing>;
