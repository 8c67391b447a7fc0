import { Type, type Static } from 'typebox';

/** The response header that carries the `continue` of the next page; absent on the last. */
export const CONTINUE_HEADER = 'x-continue';

/** `?limit=&continue=`, Kubernetes' names; without either a list is answered whole, as the seed has it. */
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.String({ maxLength: 9, description: `a whole number above 0: at most this many items; when more follow, the answer's ${CONTINUE_HEADER} header is the next page's continue` })),
  continue: Type.Optional(Type.String({ minLength: 1, description: `the ${CONTINUE_HEADER} header of the page before: this page starts after its last item` })),
});
export type PageQuery = Static<typeof PageQuery>;
