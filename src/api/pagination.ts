import type { FastifyReply } from 'fastify';
import { invalidArgs } from '../domain/errors.js';
import { pageOf, type SortKey } from '../domain/pagination.js';
import { parseWholeNumber } from '../domain/validation.js';
import { CONTINUE_HEADER, type PageQuery } from './schemas/page.js';

/** What the list routes page: each its own tokens, so one list's token is refused by another. */
export type PagedList = 'apps' | 'services' | 'project-services';

/**
 * The page of `items` the query asks for (all of them when it asks for none), with the next page's
 * token in CONTINUE_HEADER. A token that is not one this list gave is an InvalidArgs naming `continue`.
 */
export function paged<T>(reply: FastifyReply, list: PagedList, query: PageQuery, items: readonly T[], sortKey: (item: T) => SortKey): readonly T[] {
  if (query.limit === undefined && query.continue === undefined) return items;
  const after = query.continue === undefined ? undefined : decodeToken(list, query.continue);
  const page = pageOf(items, sortKey, query.limit === undefined ? Infinity : parseLimit(query.limit), after);
  if (page.next) reply.header(CONTINUE_HEADER, encodeToken(list, page.next));
  return page.items;
}

/** What names a page in caches of answers: the list's own name when it is whole. */
export function pageId(query: PageQuery): string {
  return query.limit === undefined && query.continue === undefined ? '' : ` limit=${query.limit ?? ''} continue=${query.continue ?? ''}`;
}

function parseLimit(text: string): number {
  const limit = parseWholeNumber(text, 'limit');
  if (limit < 1) throw invalidArgs(`limit must be at least 1, got ${limit}`, 'limit');
  return limit;
}

function encodeToken(list: PagedList, after: SortKey): string {
  return Buffer.from(JSON.stringify({ list, after })).toString('base64url');
}

function decodeToken(list: PagedList, token: string): SortKey {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString());
  } catch {
    decoded = undefined;
  }
  const { list: of, after } = (typeof decoded === 'object' && decoded !== null ? decoded : {}) as { list?: unknown; after?: unknown };
  if (of !== list || !Array.isArray(after) || !after.every((part) => typeof part === 'string')) {
    throw invalidArgs(`continue "${token}" is not a token of this list: pass the ${CONTINUE_HEADER} header of its page before`, 'continue');
  }
  return after as SortKey;
}
