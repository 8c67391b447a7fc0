import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { WharfError } from '../domain/errors.js';
import type { ErrorBody } from './schemas/common.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Every error leaves as `{error, message}`: the seed's code and a sentence naming the field. */
export function handleError(error: FastifyError | WharfError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = toErrorBody(error, request);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  void reply.code(status).send(body);
}

function toErrorBody(error: FastifyError | WharfError | Error, request: FastifyRequest): { status: number; body: ErrorBody } {
  if (error instanceof WharfError) return { status: error.statusCode, body: { error: error.code, message: error.message } };
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0] as AjvError | undefined;
    return { status: 400, body: { error: 'InvalidArgs', message: first ? describeAjvError(first) : error.message } };
  }
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return { status, body: { error: 'PayloadTooLarge', message: 'the request body is larger than 1 MiB' } };
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

function describeAjvError(error: AjvError): string {
  switch (error.keyword) {
    case 'required':
      return `${fieldName(error.instancePath, String(error.params.missingProperty))} is required`;
    case 'additionalProperties':
      return `${fieldName(error.instancePath, String(error.params.additionalProperty))} is not a known field`;
    case 'pattern':
      return `${fieldName(error.instancePath)} must match ${String(error.params.pattern)}`;
    case 'enum':
      return `${fieldName(error.instancePath)} must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'anyOf':
      return `${fieldName(error.instancePath)} has a value that is not allowed`;
    case 'minProperties':
      return `${fieldName(error.instancePath)} must set at least one field`;
    default:
      return `${fieldName(error.instancePath)} ${error.message ?? 'is invalid'}`;
  }
}
