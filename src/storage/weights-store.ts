import type { DataSource } from "typeorm";
import type { ImportanceRow, ImportanceSummary } from "../csv/importance";
import { partitionOf } from "../partitioning";
import { IMPORTANCE_LOCK } from "./lock-keys";
import { selectFirst, selectOne, type SqlRunner } from "./sql";

/** Changes whenever customer weights change; partitions loaded before then are stale. */
export async function weightsVersion(db: SqlRunner): Promise<number> {
  const { version } = await selectOne<{ version: number }>(db, `SELECT count(*)::int AS version FROM importance_loads`);
  return version;
}

export async function importanceLoaded(db: SqlRunner, source: string): Promise<boolean> {
  return (await selectFirst(db, `SELECT 1 FROM importance_loads WHERE source = $1`, [source])) !== undefined;
}

export type ImportanceFeed = (addRows: (rows: ImportanceRow[]) => Promise<void>) => Promise<ImportanceSummary>;

/**
 * Loads an importance source once, atomically: its rows go into a staging
 * table as they stream in, then PostgreSQL computes each pair's mean weight,
 * summing in file order (`sum(weight ORDER BY line)`) so the result is the
 * same double a sequential sum gives. Returns null when another process
 * loaded the source first.
 */
export async function storeImportanceSource(
  ds: DataSource,
  source: string,
  partitions: number,
  feed: ImportanceFeed,
): Promise<(ImportanceSummary & { pairs: number }) | null> {
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [IMPORTANCE_LOCK]);
    if (await importanceLoaded(em, source)) return null;
    await em.query(`CREATE TEMPORARY TABLE importance_rows (line bigint, partition int, merchant text, customer text, weight float8) ON COMMIT DROP`);
    const summary = await feed(async (rows) => {
      await em.query(`INSERT INTO importance_rows SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::float8[])`, [
        rows.map((r) => r.line),
        rows.map((r) => partitionOf(r.merchant, partitions)),
        rows.map((r) => r.merchant),
        rows.map((r) => r.customer),
        rows.map((r) => r.weight),
      ]);
    });
    const { pairs } = await selectOne<{ pairs: number }>(
      em,
      `WITH loaded AS (
         INSERT INTO customer_weights (partition, merchant, customer, weight)
         SELECT partition, merchant, customer, sum(weight ORDER BY line) / count(*) FROM importance_rows GROUP BY partition, merchant, customer
         ON CONFLICT (merchant, customer) DO UPDATE SET weight = EXCLUDED.weight
         RETURNING 1)
       SELECT count(*)::int AS pairs FROM loaded`,
    );
    await em.query(`INSERT INTO importance_loads (source, rows, pairs) VALUES ($1, $2, $3)`, [source, summary.rows, pairs]);
    return { ...summary, pairs };
  });
}
