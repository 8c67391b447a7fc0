import { Type, type Static } from 'typebox';
import { QuotaLimits } from '../../model/quota.js';
import { StringEnum } from '../../model/schema-helpers.js';

const used = (description: string) => Type.Number({ minimum: 0, description });

/** A project's quota: the limits that hold for it, where they come from, and what it uses now. */
export const Quota = Type.Object({
  projectName: Type.String(),
  limits: QuotaLimits,
  source: StringEnum(['project', 'region'], { description: '`project`: set by the admin for this project; `region`: the region\'s default' }),
  usage: Type.Object({
    services: used('microservices'),
    pods: used('pods of the services that are not stopped'),
    containers: used('containers of those pods'),
    cpu: used('CPU cores'),
    memory: used('MB of memory'),
  }),
});
export type Quota = Static<typeof Quota>;
