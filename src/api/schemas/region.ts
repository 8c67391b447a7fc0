import { Type, type Static } from 'typebox';
import { RuntimeKind } from '../../model/region.js';

/** A region as `GET /v1/regions` lists it (the running region is `Region` in src/regions.ts). */
export const RegionListing = Type.Object(
  {
    name: Type.String(),
    runtime: RuntimeKind,
    simulated: Type.Boolean({ description: 'true when nothing real runs: pods are in-memory simulations' }),
    description: Type.String(),
    leader: Type.Union([
      Type.Object({
        replica: Type.String({ description: 'the Wharf replica running the region\'s controller (WHARF_REPLICA_ID)' }),
        since: Type.String({ format: 'date-time', description: 'when it took the region\'s lease' }),
      }),
      Type.Null(),
    ], { description: 'null while no replica holds an unexpired lease: a leader died and the next has not taken over yet' }),
  },
);
export type RegionListing = Static<typeof RegionListing>;
