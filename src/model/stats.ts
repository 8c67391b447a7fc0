import { Type, type Static } from 'typebox';

/** One container's usage, as the engine measured it. */
export const ContainerStats = Type.Object({
  name: Type.String({ description: 'the container, by its name in the spec' }),
  cpu: Type.Object({
    usageCores: Type.Number({
      minimum: 0,
      description: 'CPU in use, in cores (0.25 = a quarter of one core): Docker over the ~1 s between its two samples, Kubernetes over the metrics window',
    }),
  }),
  memory: Type.Object({
    usageBytes: Type.Integer({ minimum: 0, description: 'the working set: memory in use less the page cache the kernel can take back (what an OOM kill is judged on)' }),
    limitBytes: Type.Optional(Type.Integer({ minimum: 0, description: 'the container\'s memory limit (Docker); absent where the engine does not report it (Kubernetes\' metrics API)' })),
  }),
});
export type ContainerStats = Static<typeof ContainerStats>;

/** A pod's network counters since its sandbox started; the pod's containers share one network namespace. */
export const NetworkStats = Type.Object({
  rxBytes: Type.Integer({ minimum: 0 }),
  txBytes: Type.Integer({ minimum: 0 }),
  rxPackets: Type.Integer({ minimum: 0 }),
  txPackets: Type.Integer({ minimum: 0 }),
  rxErrors: Type.Integer({ minimum: 0 }),
  txErrors: Type.Integer({ minimum: 0 }),
}, { description: 'Docker: the counters of the pod\'s network namespace (held by its sandbox); absent on Kubernetes, whose metrics API has none' });
export type NetworkStats = Static<typeof NetworkStats>;

/** What a pod uses now: `GET …/pods/{pod}/stats`. */
export const PodStats = Type.Object({
  pod: Type.String(),
  time: Type.String({ format: 'date-time', description: 'when the sample was taken' }),
  windowSeconds: Type.Optional(Type.Number({ description: 'Kubernetes: the window the metrics API averaged CPU over' })),
  containers: Type.Array(ContainerStats, { description: 'the containers that run; one that does not (crashed, waiting) is left out' }),
  network: Type.Optional(NetworkStats),
  simulated: Type.Optional(Type.Literal(true, { description: 'the simulated runtime: nothing runs, every number is 0' })),
});
export type PodStats = Static<typeof PodStats>;
