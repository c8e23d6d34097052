/**
 * Typed access to raw SQL. Queries alias snake_case columns to the camelCase
 * fields of their row interface (`applied_seq AS "appliedSeq"`), so a row
 * comes back in the shape its interface names; this is the one place that
 * trusts the database to return that shape.
 */

/** Anything that runs SQL: a DataSource, an EntityManager or a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export async function selectRows<Row>(db: SqlRunner, sql: string, parameters: unknown[] = []): Promise<Row[]> {
  return (await db.query(sql, parameters)) as Row[];
}

/** The first row, if the query returned any. */
export async function selectFirst<Row>(db: SqlRunner, sql: string, parameters: unknown[] = []): Promise<Row | undefined> {
  return (await selectRows<Row>(db, sql, parameters))[0];
}

/** The row of a query that always returns exactly one (an aggregate, a count). */
export async function selectOne<Row>(db: SqlRunner, sql: string, parameters: unknown[] = []): Promise<Row> {
  const row = await selectFirst<Row>(db, sql, parameters);
  if (row === undefined) throw new Error(`query returned no row: ${sql.replace(/\s+/g, " ").slice(0, 120)}`);
  return row;
}
