import { Type } from 'typebox';
import { StringEnum } from '../../model/schema-helpers.js';

const flag = (description: string) => Type.Optional(StringEnum(['true', 'false'], { description: `${description}; default false` }));

/** The query of the log routes, Kubernetes' `pods/log` parameters by their names (domain/log-query.ts applies the rules across fields). */
export const LogQueryString = Type.Object(
  {
    container: Type.Optional(Type.String({ maxLength: 63, description: 'the container; needed when the pod has several (service logs: only this container of each pod)' })),
    tailLines: Type.Optional(Type.String({ maxLength: 9, description: 'a whole number: only the last this many lines of each container' })),
    sinceSeconds: Type.Optional(Type.String({ maxLength: 9, description: 'a whole number above 0: only lines written in the last this many seconds; not with sinceTime' })),
    sinceTime: Type.Optional(Type.String({ maxLength: 64, description: 'an RFC 3339 time: only lines written since; not with sinceSeconds' })),
    timestamps: flag('start each line with the time it was written (RFC 3339) and a space'),
    previous: flag('the last terminated instance of the container (400 when it never terminated)'),
    follow: flag('keep streaming new lines until the container ends or the client goes (service logs: until the client goes)'),
  },
  { additionalProperties: false },
);

/** What a log route answers: the log as text, streamed. */
export const LogText = Type.String({ description: 'the log, line by line (text/plain; chunked while it streams)' });
