import { Type, type Static } from 'typebox';
import { StringEnum } from '../../model/schema-helpers.js';

/** What Go's strconv.ParseBool takes, as Kubernetes reads these flags. */
const FLAG_VALUES = ['true', 'false', '1', '0', 't', 'f', 'T', 'F', 'TRUE', 'FALSE', 'True', 'False'];
const TRUE_VALUES = new Set(['true', '1', 't', 'T', 'TRUE', 'True']);

const Flag = (description: string) => StringEnum(FLAG_VALUES, { description });

/** The query of an exec, as Kubernetes' `pods/exec` takes it (kubectl and client libraries send exactly this). */
export const ExecQuery = Type.Object({
  command: Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1, maxItems: 1024 })], {
    description: 'the program, then one `command=` per argument (`?command=sh&command=-c&command=echo hi`); no shell unless it names one',
  }),
  container: Type.Optional(Type.String({ description: 'the container; may be left out when the pod has one' })),
  stdin: Type.Optional(Flag('attach stdin (channel 0); default false')),
  stdout: Type.Optional(Flag('attach stdout (channel 1); default true')),
  stderr: Type.Optional(Flag('attach stderr (channel 2); default true, always false with tty')),
  tty: Type.Optional(Flag('run in a terminal (resize on channel 4); default false')),
});
export type ExecQuery = Static<typeof ExecQuery>;

/** A flag's value; `fallback` when absent. */
export function flag(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : TRUE_VALUES.has(value);
}

export const PodName = Type.String({ minLength: 1, maxLength: 253, description: 'a pod of the service, as its `pods` list names it' });

/** What the route answers once the WebSocket is open: it is described here for OpenAPI, which has no words for a WebSocket. */
export const ExecUpgrade = Type.Null({
  description: [
    'Switching Protocols: a WebSocket speaking Kubernetes\' v5.channel.k8s.io (or v4.channel.k8s.io), offered in Sec-WebSocket-Protocol.',
    'Every binary message is a channel byte then data: 0 stdin, 1 stdout, 2 stderr, 3 the status (a metav1.Status as JSON, once, when the command ended; then the server closes),',
    '4 resize ({"Width":w,"Height":h}), and with v5 [255, 0] when the client closed stdin.',
  ].join(' '),
});
