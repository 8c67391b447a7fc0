import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalidArgs } from './errors.js';

/** A token as the store keeps it: never the secret, only its SHA-256. */
export interface TokenRecord {
  id: string;
  name: string;
  /** The projects the token opens; empty for an admin token, which opens every project. */
  projects: string[];
  admin: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  creationTime: string;
  secretHash: Buffer;
}

/** Who a request acts for once its token is accepted; `token` names the stored token it presented (none for the configured admin token). */
export type Principal = ({ admin: true } | { admin: false; projects: readonly string[] }) & { token?: { id: string; name: string } };

export const ADMIN: Principal = { admin: true };

/** Who acted, for events and logs: the token's name and id, or the configured admin token. */
export function describePrincipal(principal: Principal): string {
  if (principal.token) return `token "${principal.token.name}" (${principal.token.id})`;
  return principal.admin ? 'the admin' : 'a project token';
}

/*
 * A token is `wharf_<id>_<secret>`: the id finds the record without comparing secrets in SQL
 * (an index lookup by secret would not be constant-time), and the prefix lets secret scanners
 * recognise a leaked token.
 */
const TOKEN_FORMAT = /^wharf_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function formatToken(id: string, secret: string): string {
  return `wharf_${id}_${secret}`;
}

export function parseToken(token: string): { id: string; secret: string } | undefined {
  const match = TOKEN_FORMAT.exec(token);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

/**
 * Compares hashes, never the secrets: equal lengths always, and the time taken tells nothing.
 * With no stored hash (no token has the presented id) it compares against a hash no secret has,
 * so an unknown id costs the same work as a known one with a wrong secret.
 */
export function secretMatches(presented: string, storedHash: Buffer | undefined): boolean {
  const matches = timingSafeEqual(hashSecret(presented), storedHash ?? UNMATCHABLE_HASH);
  return matches && storedHash !== undefined;
}

// Random, never stored, never shown: no presented secret can be known to hash to it.
const UNMATCHABLE_HASH = hashSecret(randomBytes(32).toString('base64url'));

/** Why a known token no longer opens anything, or undefined while it does. */
export function whyRejected(token: Pick<TokenRecord, 'expiresAt' | 'revokedAt'>, now: Date): string | undefined {
  if (token.revokedAt !== null) return `the token was revoked at ${token.revokedAt}`;
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now.getTime()) return `the token expired at ${token.expiresAt}`;
  return undefined;
}

/** A request as authorization sees it, before anything is looked up. */
export interface RouteCall {
  method: string;
  /** The matched route's pattern, e.g. `/regions/:region/v1/resourcespecs`; undefined when no route matched. */
  route: string | undefined;
  /** The `project` path parameter, when the route has one. */
  project: string | undefined;
}

/** Calls that name no project, open to every token: they show nothing of a project, or only the caller's (the project list). */
const SHARED_READS = new Set([
  'GET /v1/regions',
  'GET /regions/:region/v1/resourcespecs',
  'GET /regions/:region/v1/storagetypes',
  'GET /regions/:region/v1/projects',
]);

/** Calls under a project that its own tokens may not make: a tenant does not set its own limits. */
const ADMIN_ONLY = new Set(['PUT /regions/:region/v1/projects/:project/quota', 'DELETE /regions/:region/v1/projects/:project/quota']);

/**
 * Why `principal` may not make `call`, or undefined when it may. Decided from the path alone, so
 * a project the token does not cover is refused the same way whether it exists or not.
 */
export function whyForbidden(principal: Principal, call: RouteCall): string | undefined {
  if (principal.admin) return undefined;
  const method = call.method === 'HEAD' ? 'GET' : call.method;
  const onlyAdmin = `only an admin token may call ${call.method} ${call.route}`;
  if (call.project !== undefined) {
    if (!principal.projects.includes(call.project)) return `this token does not cover project "${call.project}"`;
    return ADMIN_ONLY.has(`${method} ${call.route}`) ? onlyAdmin : undefined;
  }
  // No route matched: the 404 that follows tells nothing about any project.
  if (call.route === undefined) return undefined;
  return SHARED_READS.has(`${method} ${call.route}`) ? undefined : onlyAdmin;
}

export interface TokenRequest {
  name: string;
  projects: string[];
  admin?: boolean;
  expiresAt?: string;
}

/** Checks a token request beyond its schema; returns the expiry, normalised to UTC. */
export function checkTokenRequest(request: TokenRequest, now: Date): { expiresAt: string | null } {
  if (request.admin && request.projects.length > 0) {
    throw invalidArgs('projects must be empty for an admin token: it covers every project');
  }
  if (!request.admin && request.projects.length === 0) {
    throw invalidArgs('projects must name at least one project (or set admin: true)');
  }
  if (request.expiresAt === undefined) return { expiresAt: null };
  const expiresAt = Date.parse(request.expiresAt);
  if (Number.isNaN(expiresAt)) throw invalidArgs(`expiresAt "${request.expiresAt}" is not an RFC 3339 time`);
  if (expiresAt <= now.getTime()) throw invalidArgs(`expiresAt ${request.expiresAt} is not in the future`);
  return { expiresAt: new Date(expiresAt).toISOString() };
}
