import { Type, type Static } from 'typebox';
import { StringEnum } from '../../model/schema-helpers.js';

/** One event of a service, folded with its repeats: what `GET …/events` lists and the events watch streams. */
export const Event = Type.Object(
  {
    id: Type.Integer({ description: 'grows with every event recorded or repeated (a repeat takes a new id): a watch resumes after it (Last-Event-ID)' }),
    time: Type.String({ format: 'date-time', description: 'the last occurrence' }),
    firstTime: Type.String({ format: 'date-time', description: 'the first occurrence' }),
    count: Type.Integer({ minimum: 1, description: 'how many times it happened: repeats of the same type, reason, message, pod and container fold into one event' }),
    type: StringEnum(['Normal', 'Warning'], { description: 'Warning: something to look at (a failed pull, a crash, a failed probe or rollout)' }),
    reason: Type.String({ description: 'Created, Upgraded, Scaled, Stopped, Started, RolledBack, ConfigMapChanged, PodCreated, Killing, Pulling, Pulled, ErrImagePull, BackOff, Unhealthy, OOMKilled, Exited, RolloutComplete, ProgressDeadlineExceeded, …' }),
    message: Type.String(),
    service: Type.String(),
    app: Type.Optional(Type.String({ description: 'absent for a V2 microservice' })),
    pod: Type.Optional(Type.String()),
    container: Type.Optional(Type.String()),
    revision: Type.Optional(Type.Integer()),
  },
);
export type Event = Static<typeof Event>;

export const EventsQuery = Type.Object({
  since: Type.Optional(Type.String({ description: 'RFC 3339 time: only events whose last occurrence is at or after it' })),
  watch: Type.Optional(StringEnum(['true', 'false'], { description: 'true: a Server-Sent Events stream of the list, then of every event recorded or repeated' })),
});
export type EventsQuery = Static<typeof EventsQuery>;
