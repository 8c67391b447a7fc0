import { invalidArgs } from '../domain/errors.js';
import { OUTPUT_ONLY, ZERO_IS_ABSENT } from '../model/schema-helpers.js';
import { beforeValidatingBodies } from './body-hooks.js';
import type { Api } from './context.js';
import { fieldName } from './errors.js';

/** What to do with a field the resource does not have (Kubernetes' field validation). */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

export const FIELD_VALIDATIONS: readonly FieldValidation[] = ['Ignore', 'Warn', 'Strict'];

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: unknown;
  [OUTPUT_ONLY]?: readonly string[];
  [ZERO_IS_ABSENT]?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields of the body the resource does not have, as `containers[0].imgae`; null on a read (GET, HEAD). */
    unknownFields: string[] | null;
  }
}

/**
 * Tolerant reader, exact writer: before a body is validated, `null` becomes absent, output-only
 * fields are dropped, and unknown fields are dropped and named in a `Warning` header (Warn,
 * the default), dropped silently (Ignore) or left for validation to refuse (Strict). The mode
 * is `?fieldValidation=`, else the server's default. Known fields are still checked exactly.
 */
export function readBodiesTolerantly(api: Api, defaultMode: FieldValidation): void {
  api.decorateRequest('unknownFields', null);
  beforeValidatingBodies(api, (request, reply, done) => {
    request.unknownFields = [];
    const schema = request.routeOptions.schema?.body as SchemaNode | undefined;
    if (!schema || request.body === undefined) return done();
    const asked = (request.query as { fieldValidation?: unknown } | undefined)?.fieldValidation;
    if (asked !== undefined && !FIELD_VALIDATIONS.includes(asked as FieldValidation)) {
      return done(invalidArgs(`fieldValidation must be one of ${FIELD_VALIDATIONS.join(', ')}, got ${JSON.stringify(asked)}`));
    }
    const mode = (asked as FieldValidation | undefined) ?? defaultMode;
    request.unknownFields = normalizeBody(request.body, schema, mode !== 'Strict');
    if (mode === 'Warn' && request.unknownFields.length > 0) {
      void reply.header('warning', request.unknownFields.map((field) => `299 - ${JSON.stringify(`unknown field "${field}"`)}`).join(', '));
    }
    done();
  });
}

/** Applies the reading rules to `body` in place; returns the unknown fields' names. */
export function normalizeBody(body: unknown, schema: SchemaNode, dropUnknown: boolean): string[] {
  const unknown: string[] = [];
  visit(body, schema, '', unknown, dropUnknown);
  return unknown;
}

function visit(value: unknown, schema: SchemaNode, path: string, unknown: string[], dropUnknown: boolean): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, index) => visit(item, schema.items!, `${path}/${index}`, unknown, dropUnknown));
    return;
  }
  if (typeof value !== 'object' || value === null || !schema.properties) return;
  const fields = value as Record<string, unknown>;
  for (const [key, child] of Object.entries(fields)) {
    const childSchema = Object.hasOwn(schema.properties, key) ? schema.properties[key] : undefined;
    if (child === null || ((child === '' || child === 0) && childSchema?.[ZERO_IS_ABSENT]) || (!childSchema && schema[OUTPUT_ONLY]?.includes(key))) {
      delete fields[key];
    } else if (childSchema) {
      visit(child, childSchema, `${path}/${key}`, unknown, dropUnknown);
    } else if (schema.additionalProperties === false) {
      unknown.push(fieldName(path, key));
      if (dropUnknown) delete fields[key];
    }
  }
}
