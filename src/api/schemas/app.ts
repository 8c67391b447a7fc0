import { Type, type Static } from 'typebox';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../../model/schema-helpers.js';
import { AppName } from '../../model/names.js';
import { Service } from './microservice.js';
import { ServiceCreate } from '../../model/service.js';

export const AppCreate = Type.Object(
  {
    name: AppName,
    microservices: Type.Optional(Type.Array(ServiceCreate, { maxItems: 100 })),
    projectName: Type.Optional(Type.String({ [ZERO_IS_ABSENT]: true, description: 'if given, the project of the path' })),
  },
  { additionalProperties: false, [OUTPUT_ONLY]: ['creationTime'] },
);
export type AppCreate = Static<typeof AppCreate>;

export const App = Type.Object(
  {
    name: Type.String(),
    projectName: Type.String(),
    creationTime: Type.String({ format: 'date-time' }),
    microservices: Type.Array(Service),
  },
);
export type App = Static<typeof App>;
