import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WharfError } from '../domain/errors.js';
import { isStoreOutage } from '../store/outage.js';
import { discardBody } from './lingering-close.js';
import { PATTERN_WORDS, type ErrorBody } from './schemas/common.js';
import { likelyTypo } from './typos.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** Set when the error is about an object's key (JSON schema `propertyNames`). */
  propertyName?: string;
  /** With Ajv's `verbose`: the schema holding the failed keyword, for its other limits. */
  parentSchema?: { maxLength?: number };
}

/** Every error leaves as `{error, message}`: the seed's code and a sentence naming the field. */
export async function handleError(error: FastifyError | WharfError | Error, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { status, body } = toErrorBody(error, request);
  if (status === 503 && body.error === 'StoreUnavailable') {
    request.log.warn({ err: error }, 'the store does not answer');
    void reply.header('retry-after', '1');
  } else if (status >= 500) request.log.error({ err: error }, 'request failed');
  // A body too large was not read: let its sender finish, or it never sees the 413.
  if (status === 413) await discardBody(request.raw);
  return reply.code(status).send(body);
}

function toErrorBody(error: FastifyError | WharfError | Error, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof WharfError) {
    return { status: error.statusCode, body: { error: error.code, message: error.message, ...(error.key === undefined ? {} : { key: error.key }) } };
  }
  if (isStoreOutage(error)) {
    return { status: 503, body: { error: 'StoreUnavailable', message: `the store does not answer (${error.message}): retry the request` } };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0] as AjvError | undefined;
    if (!first) return { status: 400, body: { error: 'InvalidArgs', message: error.message } };
    const { key, message } = describeAjvError(first, request.unknownFields ?? []);
    return { status: 400, body: { error: 'InvalidArgs', message, key } };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return { status, body: { error: 'PayloadTooLarge', message: 'the request body is larger than 1 MiB' } };
  if (status === 415) {
    return { status, body: { error: 'UnsupportedMediaType', message: `send the body as JSON with Content-Type: application/json (got ${request.headers['content-type'] ?? 'no Content-Type'})` } };
  }
  if (status >= 400 && status < 500) {
    const message = fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
      ? `the request body is not valid JSON: ${error.message}`
      : error.message;
    return { status, body: { error: 'InvalidArgs', message } };
  }
  return { status: 500, body: { error: 'InternalError', message: `internal error (request ${request.id}); see the server log` } };
}

/** `/containers/0/image` -> `containers[0].image`, the way the seed names fields. */
export function fieldName(instancePath: string, child?: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (child !== undefined) parts.push(child);
  return parts.reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), '') || 'the body';
}

/** The field a schema error is about, and a sentence naming it; a missing field names its likely misspelling. */
function describeAjvError(error: AjvError, unknownFields: readonly string[]): { key: string; message: string } {
  switch (error.keyword) {
    case 'required': {
      const key = fieldName(error.instancePath, String(error.params.missingProperty));
      const typo = likelyTypo(key, unknownFields);
      return { key, message: `${key} is required${typo === undefined ? '' : ` (did you mean "${typo}"?)`}` };
    }
    case 'additionalProperties': {
      const key = fieldName(error.instancePath, String(error.params.additionalProperty));
      return { key, message: `${key} is not a known field` };
    }
    default: {
      const key = fieldName(error.instancePath);
      if (error.propertyName !== undefined) {
        return { key, message: describeValue(error, `${key} key ${JSON.stringify(error.propertyName)}`) };
      }
      return { key, message: describeValue(error, key) };
    }
  }
}

function describeValue(error: AjvError, field: string): string {
  switch (error.keyword) {
    case 'pattern': {
      const pattern = String(error.params.pattern);
      const words = PATTERN_WORDS[pattern] ?? `text matching ${pattern}`;
      const max = error.parentSchema?.maxLength;
      return `${field} must be ${words}${max === undefined ? '' : `, at most ${max} characters`}`;
    }
    case 'enum':
      return `${field} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'anyOf':
      return `${field} has a value that is not allowed`;
    case 'minProperties':
      return `${field} must set at least one field`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}
