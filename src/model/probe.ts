// Health checks of a container, in Kubernetes' vocabulary whatever the runtime.
import { Type, type Static } from 'typebox';
import { StringEnum } from './schema-helpers.js';

const ProbePort = Type.Integer({ minimum: 1, maximum: 65535, description: "a port of the pod (the container's own network namespace)" });
const seconds = (minimum: number, kubernetesDefault: number, what: string) =>
  Type.Optional(Type.Integer({ minimum, maximum: 3600, description: `${what}; default ${kubernetesDefault}` }));
const times = (kubernetesDefault: number, what: string) =>
  Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: `${what}; default ${kubernetesDefault}` }));

/**
 * A health check, with Kubernetes' names and defaults so that one vocabulary serves every runtime:
 * exactly one of httpGet, tcpSocket and exec (domain/probes.ts checks that and the rest).
 */
export const ProbeInput = Type.Object(
  {
    httpGet: Type.Optional(
      Type.Object(
        {
          path: Type.Optional(Type.String({ maxLength: 1024, pattern: '^/', description: 'default /' })),
          port: ProbePort,
          scheme: Type.Optional(StringEnum(['HTTP', 'HTTPS'], { description: 'default HTTP; HTTPS does not verify the certificate, as the kubelet does not' })),
          httpHeaders: Type.Optional(
            Type.Array(
              Type.Object(
                { name: Type.String({ minLength: 1, maxLength: 256, pattern: "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$" }), value: Type.String({ maxLength: 4096 }) },
                { additionalProperties: false },
              ),
              { maxItems: 20 },
            ),
          ),
        },
        { additionalProperties: false, description: 'healthy: an answer from 200 to 399' },
      ),
    ),
    tcpSocket: Type.Optional(Type.Object({ port: ProbePort }, { additionalProperties: false, description: 'healthy: the port accepts a connection' })),
    exec: Type.Optional(
      Type.Object(
        { command: Type.Array(Type.String({ maxLength: 4096 }), { minItems: 1, maxItems: 256 }) },
        { additionalProperties: false, description: 'healthy: the command, run in the container without a shell, exits 0' },
      ),
    ),
    initialDelaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600, description: 'seconds after the container starts before the first probe; default 0' })),
    periodSeconds: seconds(1, 10, 'seconds between probes'),
    timeoutSeconds: seconds(1, 1, 'seconds a probe may take before it counts as failed'),
    successThreshold: times(1, 'consecutive successes after a failure to count as healthy; must be 1 for liveness and startup probes'),
    failureThreshold: times(3, 'consecutive failures to count as unhealthy'),
  },
  { additionalProperties: false },
);
export type ProbeInput = Static<typeof ProbeInput>;

/** A probe as Wharf stores and returns it: every setting present, one handler. */
export const Probe = Type.Object({
  httpGet: Type.Optional(
    Type.Object({
      path: Type.String(),
      port: Type.Integer(),
      scheme: StringEnum(['HTTP', 'HTTPS']),
      httpHeaders: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
    }),
  ),
  tcpSocket: Type.Optional(Type.Object({ port: Type.Integer() })),
  exec: Type.Optional(Type.Object({ command: Type.Array(Type.String()) })),
  initialDelaySeconds: Type.Integer(),
  periodSeconds: Type.Integer(),
  timeoutSeconds: Type.Integer(),
  successThreshold: Type.Integer(),
  failureThreshold: Type.Integer(),
});
export type Probe = Static<typeof Probe>;

export const PROBE_KINDS = ['startupProbe', 'livenessProbe', 'readinessProbe'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];
