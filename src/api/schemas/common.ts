import { Type, type Static } from 'typebox';
import { AppName, NAME_PATTERNS, ProjectName, RegionName, ServiceName } from '../../model/names.js';

/** The patterns of the API's strings in words, for the messages of a 400: a regex tells a user little. */
export const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [NAME_PATTERNS.app]: 'lowercase letters and digits, starting with a letter',
  [NAME_PATTERNS.dnsLabel]: 'lowercase letters, digits and "-", starting with a letter and not ending with "-"',
  [NAME_PATTERNS.container]: 'lowercase letters, digits and "-", starting and ending with a letter or digit',
  '^[-._a-zA-Z0-9]+$': 'letters, digits, "-", "_" and "."',
  '^[-._a-zA-Z][-._a-zA-Z0-9]*$': 'letters, digits, "-", "_" and ".", not starting with a digit',
  '^/': 'an absolute path, starting with "/"',
  '^[^\\s]+$': 'without spaces',
  '^[0-9]{1,9}$': 'a whole number',
};

/** Every error answer of the API: the seed's code and a sentence naming the field or object. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'The seed\'s error code, e.g. InvalidArgs, ServiceNotFound' }),
    message: Type.String(),
    key: Type.Optional(Type.String({ description: 'the field the error is about, as containers[0].image, when there is one' })),
  },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** The error answers every route documents. */
export const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody } as const;

/** Actions whose seed answer is "无": 204, no body. */
export const NoContent = Type.Null({ description: 'done; no body' });

/** A ConfigMap's or volume's DELETE accepted (202) and not done yet: the controller is removing it from the engine. */
export const Deletion = Type.Object(
  {
    since: Type.String({ format: 'date-time', description: 'when the DELETE was accepted' }),
    message: Type.String({ description: 'why the engine has not removed it yet (the last attempt\'s error, retried with backoff); empty until an attempt failed' }),
  },
  { description: 'present only while it is being deleted: still listed, its name taken, and no service can use it' },
);

/** Path parameters are declared as strings and parsed by the routes, so a bad one is named in the 400. */
export const WholeNumberParam = Type.String({ pattern: '^[0-9]{1,9}$' });

export const RegionParams = Type.Object({ region: RegionName });
export const ProjectParams = Type.Object({ region: RegionName, project: ProjectName });
export const AppParams = Type.Object({ region: RegionName, project: ProjectName, app: AppName });
export const ServiceParams = Type.Object({
  region: RegionName,
  project: ProjectName,
  app: AppName,
  service: ServiceName,
});
export type ServiceParams = Static<typeof ServiceParams>;
