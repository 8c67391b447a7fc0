import { Type, type Static } from 'typebox';

export const ResourceSpec = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 16 }),
    cpu: Type.Number({ exclusiveMinimum: 0, description: 'CPU cores' }),
    memory: Type.Integer({ minimum: 4, description: 'memory in MB' }),
    meomory: Type.Integer({ description: 'the same as memory, under the seed\'s spelling' }),
    desc: Type.String(),
  },
);
export type ResourceSpec = Static<typeof ResourceSpec>;
