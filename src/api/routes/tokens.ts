import { Type } from 'typebox';
import type { TokenRecord } from '../../domain/tokens.js';
import type { Api, ApiContext } from '../context.js';
import { ERROR_RESPONSES, NoContent } from '../schemas/common.js';
import { CreatedToken, Token, TokenCreate, TokenParams } from '../schemas/token.js';

/** Token management; the auth hook lets only admin tokens through. */
export function tokenRoutes(api: Api, { tokens, commands }: ApiContext): void {
  api.post(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Create a token for some projects (or an admin token); its secret is shown only in this answer',
        body: TokenCreate,
        response: { 201: CreatedToken, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const created = await commands.createToken(request.body);
      return reply.code(201).send({ ...tokenView(created.record), token: created.token });
    },
  );

  api.get(
    '/v1/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'List the tokens, revoked and expired ones included, never their secrets',
        response: { 200: Type.Array(Token), ...ERROR_RESPONSES },
      },
    },
    async () => (await tokens.list()).map(tokenView),
  );

  api.delete(
    '/v1/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Revoke a token: refused from the next request on',
        params: TokenParams,
        response: { 204: NoContent, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await commands.revokeToken(request.params.id);
      return reply.code(204).send(null);
    },
  );
}

function tokenView({ id, name, projects, admin, expiresAt, revokedAt, creationTime }: TokenRecord): Token {
  return { id, name, projects, admin, expiresAt, revokedAt, creationTime };
}
