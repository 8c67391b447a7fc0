import type { FastifyRequest } from 'fastify';
import { WharfError } from '../domain/errors.js';
import { offeredProtocols, tokenOfProtocols } from '../domain/remotecommand.js';
import { ADMIN, hashSecret, parseToken, secretMatches, whyForbidden, whyRejected, type Principal } from '../domain/tokens.js';
import type { TokenStore } from '../store/tokens.js';
import type { Api } from './context.js';

/** `off` only on a loopback address (config.ts refuses it elsewhere). */
export type AuthSettings = 'off' | { adminToken: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts for; every caller is the admin when authentication is off. */
    principal: Principal;
  }
}

/** Every request acts for the admin until a token says otherwise (authentication on: the hook below always does). */
export function decoratePrincipal(api: Api): void {
  api.decorateRequest('principal', null as never);
  api.addHook('onRequest', (request, _reply, done) => {
    request.principal = ADMIN;
    done();
  });
}

/** The routes that need a token; /healthz, /openapi.json and /docs stay open. /metrics takes the admin's. */
const PROTECTED_ROUTE = /^\/(regions\/|v1\/|metrics$)/;

/**
 * Every call to a `/regions/...` or `/v1/...` route needs a token that covers it. A root hook,
 * added before any route, so it runs before the region lookup, validation and the handler:
 * nothing about a project is read for a caller who may not see it. It reads the `project` path
 * parameter of whatever route matched, so routes added later under a project are covered too.
 * It decides on the matched route's pattern, not the raw URL: the router decodes `/%761/tokens`
 * to `/v1/tokens`, which a prefix test of the URL would let through.
 */
export function requireTokens(api: Api, adminToken: string, tokens: TokenStore): void {
  const adminHash = hashSecret(adminToken);

  const tokenPrincipal = async (token: string): Promise<Principal> => {
    const parsed = parseToken(token);
    if (!parsed) throw unauthorized('the token is not known');
    const record = await tokens.get(parsed.id);
    if (!secretMatches(parsed.secret, record?.secretHash) || !record) throw unauthorized('the token is not known');
    const rejected = whyRejected(record, new Date());
    if (rejected) throw unauthorized(rejected);
    const presented = { id: record.id, name: record.name };
    return record.admin ? { admin: true, token: presented } : { admin: false, projects: record.projects, token: presented };
  };

  /** Lets the request act for `principal`, or says why it may not call this route. */
  const admit = (request: FastifyRequest, route: string, principal: Principal): WharfError | undefined => {
    const project = (request.params as { project?: string }).project;
    const forbidden = whyForbidden(principal, { method: request.method, route, project });
    if (forbidden) return new WharfError('OperationForbbiden', forbidden);
    request.principal = principal;
    return undefined;
  };

  // Callback style, and no promise for the admin's token: this runs on every request.
  api.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !PROTECTED_ROUTE.test(route)) return done();
    const token = presentedToken(request);
    if (token === undefined) return done(unauthorized('a token is required: send X-Auth-Token: <token> or Authorization: Bearer <token>'));
    if (secretMatches(token, adminHash)) return done(admit(request, route, ADMIN));
    tokenPrincipal(token).then((principal) => done(admit(request, route, principal)), done);
  });
}

/**
 * X-Auth-Token (what the seed's platform clients send) first, then a bearer token, then Kubernetes'
 * bearer-token WebSocket subprotocol (a browser cannot set headers on a WebSocket: exec).
 */
function presentedToken({ headers }: FastifyRequest): string | undefined {
  const direct = headers['x-auth-token'];
  if (typeof direct === 'string' && direct !== '') return direct;
  const bearer = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')?.[1];
  return bearer ?? tokenOfProtocols(offeredProtocols(headers['sec-websocket-protocol']));
}

const unauthorized = (message: string): WharfError => new WharfError('Unauthorized', message);
