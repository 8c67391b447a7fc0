import { Type, type Static } from 'typebox';
import { Container } from '../../model/container.js';
import { GpuSpec, Port, Ports, ServiceType } from '../../model/service.js';
import { ContainerStatus, PodPhase, ServiceStatus } from '../../model/service-status.js';

export const PortsUpdate = Type.Object({ ports: Ports }, { additionalProperties: false });

export const Pod = Type.Object(
  {
    name: Type.String(),
    status: Type.Object({ phase: PodPhase, reason: Type.String(), message: Type.String() }),
    containerStatuses: Type.Array(ContainerStatus),
    revision: Type.Integer({ description: 'the service revision this pod runs' }),
    ready: Type.Boolean({ description: 'every container running; the pod counts as available once they have run minReadySeconds without a restart' }),
    creationTime: Type.String(),
    hostPorts: Type.Optional(
      Type.Array(
        Type.Object({ port: Type.Integer(), protocol: Port.properties.protocol, hostPort: Type.Integer() }),
        { description: 'ports published on the engine host (Docker runtime), to reach the pod from there' },
      ),
    ),
  },
);
export type Pod = Static<typeof Pod>;

export const Service = Type.Object(
  {
    name: Type.String(),
    appName: Type.String(),
    projectName: Type.String(),
    type: ServiceType,
    resourceSpec: Type.String(),
    instanceNumber: Type.Integer(),
    ports: Type.Array(Port),
    containers: Type.Array(Container),
    gpuSpec: Type.Optional({ ...GpuSpec, description: 'absent: no GPU' }),
    minReadySeconds: Type.Integer(),
    progressDeadlineSeconds: Type.Integer(),
    autoRollback: Type.Boolean(),
    status: ServiceStatus,
    pods: Type.Array(Pod),
    creationTime: Type.String({ format: 'date-time' }),
    updateTime: Type.String({ format: 'date-time' }),
    revision: Type.Integer({ description: 'the current revision' }),
  },
);
export type Service = Static<typeof Service>;

export const Revision = Type.Object(
  {
    revision: Type.Integer(),
    resourceSpec: Type.String(),
    containers: Type.Array(Container),
    gpuSpec: Type.Optional({ ...GpuSpec, description: 'absent: no GPU' }),
    creationTimestamp: Type.String({ format: 'date-time' }),
  },
);
export type Revision = Static<typeof Revision>;
