import { Type } from 'typebox';

/**
 * Schema annotations (OpenAPI extensions) the API's tolerant reader follows (api/tolerant-reading.ts):
 * - `x-output-only` on an object: fields of the resource's answer a client may send back as it
 *   got them (`status`, `creationTime`, …); they are dropped, never reported.
 * - `x-zero-is-absent` on an optional string or number: `""` or `0` means "not given" (Go
 *   clients send an unset field as its zero value).
 */
export const OUTPUT_ONLY = 'x-output-only';
export const ZERO_IS_ABSENT = 'x-zero-is-absent';

/**
 * A string out of a fixed set, as one JSON-schema `enum`. TypeBox's union of literals becomes an
 * `anyOf`, which the response serializer resolves by validating each branch on every value.
 */
export function StringEnum<const Values extends string[]>(values: [...Values], options: { description?: string } = {}) {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: values, ...options });
}
