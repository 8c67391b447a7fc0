import { Type, type Static } from 'typebox';
import { ProjectName } from '../../model/names.js';

const TokenName = Type.String({ minLength: 1, maxLength: 100, description: 'what the token is for, e.g. "ci of team a"' });
const Projects = Type.Array(ProjectName, {
  maxItems: 100,
  uniqueItems: true,
  description: 'the projects the token covers; empty for an admin token',
});
const Admin = Type.Boolean({ description: 'an admin token covers every project and may manage tokens (default false)' });
const Time = Type.String({ format: 'date-time', description: 'RFC 3339' });

export const TokenCreate = Type.Object(
  {
    name: TokenName,
    projects: Projects,
    admin: Type.Optional(Admin),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'RFC 3339 time after which the token is refused; absent: never' })),
  },
  { additionalProperties: false },
);

/** A token as listed: never its secret. */
export const Token = Type.Object({
  id: Type.String({ description: 'what DELETE /v1/tokens/{id} takes' }),
  name: TokenName,
  projects: Projects,
  admin: Admin,
  expiresAt: Type.Union([Time, Type.Null()]),
  revokedAt: Type.Union([Time, Type.Null()]),
  creationTime: Time,
});
export type Token = Static<typeof Token>;

/** The answer to POST /v1/tokens: the only time the secret is shown. */
export const CreatedToken = Type.Object({
  ...Token.properties,
  token: Type.String({ description: 'send as X-Auth-Token: <token> or Authorization: Bearer <token>; shown only once' }),
});

export const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
