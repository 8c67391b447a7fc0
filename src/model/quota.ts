import { Type, type Static } from 'typebox';

const limit = (description: string) => Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, description }));

/**
 * Limits on what a project (or a whole region) may run; an absent field is unlimited. Counted on
 * desired state: services, pods (instanceNumber of every service that is not stopped), containers
 * (pods × containers per pod), CPU and memory (pods × containers × the resource spec's share).
 */
export const QuotaLimits = Type.Object(
  {
    services: limit('microservices, stopped ones included'),
    pods: limit('pods of the services that are not stopped'),
    containers: limit('containers of those pods'),
    cpu: limit('CPU cores of those containers (each gets its resource spec\'s cpu)'),
    memory: limit('MB of memory of those containers (each gets its resource spec\'s memory)'),
  },
  { additionalProperties: false },
);
export type QuotaLimits = Static<typeof QuotaLimits>;
