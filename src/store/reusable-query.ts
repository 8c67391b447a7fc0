import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';

const MARK = '\u0000wharf-param:';

/** A Kysely instance or transaction. */
export interface QueryRunner {
  executeQuery<Row>(query: CompiledQuery<Row>): Promise<QueryResult<Row>>;
}

/**
 * A placeholder for a value given when a reusable query runs; typed as the value it stands for
 * (a number column's placeholder is a `placeholder<number>`), though it is a marked string.
 */
export function placeholder<Value = string>(name: string): Value {
  return (MARK + name) as Value;
}

/**
 * A query built and compiled once by Kysely, then run with new values. On the API's read path
 * building and compiling a query costs several times what SQLite takes to run it. Values are put
 * where their placeholders stand in the compiled parameters, so the SQL text never changes and
 * the statement cache of the SQLite dialect reuses one prepared statement.
 */
export function reusableQuery<Row, Name extends string>(
  query: Compilable<Row>,
): (runner: QueryRunner, values: Record<Name, unknown>) => Promise<Row[]> {
  const compiled = query.compile();
  const slots = compiled.parameters.map((parameter) =>
    typeof parameter === 'string' && parameter.startsWith(MARK) ? (parameter.slice(MARK.length) as Name) : undefined,
  );
  return async (runner, values) => {
    const parameters = compiled.parameters.map((parameter, index) => {
      const slot = slots[index];
      return slot === undefined ? parameter : values[slot];
    });
    return (await runner.executeQuery(CompiledQuery.raw(compiled.sql, parameters) as CompiledQuery<Row>)).rows;
  };
}
