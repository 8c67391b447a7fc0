import { invalidArgs } from '../domain/errors.js';
import { beforeValidatingBodies } from './body-hooks.js';
import type { Api } from './context.js';
import { fieldName } from './errors.js';

/**
 * Refuses any body holding a NUL character, in a value or a key: JSON carries it, but no engine
 * takes it (environment, arguments and file names end at NUL), so it would fail after the 201.
 */
export function refuseNul(api: Api): void {
  beforeValidatingBodies(api, (request, _reply, done) => {
    const path = request.body === undefined ? undefined : nulPath(request.body, '');
    done(path === undefined ? undefined : invalidArgs(`${fieldName(path).replaceAll('\0', '\\u0000')} must not contain a NUL character (\\u0000)`));
  });
}

/** The JSON-pointer-like path of the first string holding NUL, or undefined. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key}`;
    if (key.includes('\0')) return childPath;
    const found = nulPath(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}
