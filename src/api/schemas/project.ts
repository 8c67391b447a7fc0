import { Type, type Static } from 'typebox';

/** A project as the list shows it; `name` and `description` are the KE SDK's ProjectInfo. */
export const Project = Type.Object({
  name: Type.String(),
  description: Type.String({ description: 'always "": Wharf keeps no description' }),
  appCount: Type.Integer({ description: 'apps of the project in this region' }),
});
export type Project = Static<typeof Project>;
