import type { DataSource } from "typeorm";
import type { ImportanceSummary } from "../csv/importance";
import { partitionOf } from "../partitioning";

const IMPORTANCE_LOCK = 7_700_002;
const BATCH = 20_000;

/** Changes whenever customer weights change; partitions loaded before then are stale. */
export async function weightsVersion(ds: Pick<DataSource, "query">): Promise<number> {
  const [{ version }] = await ds.query(`SELECT count(*)::int AS version FROM importance_loads`);
  return version;
}

export async function importanceLoaded(ds: DataSource, source: string): Promise<boolean> {
  const rows = await ds.query(`SELECT 1 FROM importance_loads WHERE source = $1`, [source]);
  return rows.length > 0;
}

/** Stores the mean weight of every pair once per source, atomically; a second caller finds it done. */
export async function storeWeights(ds: DataSource, source: string, summary: ImportanceSummary, partitions: number): Promise<boolean> {
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [IMPORTANCE_LOCK]);
    if ((await em.query(`SELECT 1 FROM importance_loads WHERE source = $1`, [source])).length > 0) return false;
    for (let i = 0; i < summary.weights.length; i += BATCH) {
      const batch = summary.weights.slice(i, i + BATCH);
      await em.query(
        `INSERT INTO customer_weights (partition, merchant, customer, weight)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::float8[])
         ON CONFLICT (merchant, customer) DO UPDATE SET weight = EXCLUDED.weight`,
        [batch.map((w) => partitionOf(w.merchant, partitions)), batch.map((w) => w.merchant), batch.map((w) => w.customer), batch.map((w) => w.weight)],
      );
    }
    await em.query(`INSERT INTO importance_loads (source, rows, pairs) VALUES ($1, $2, $3)`, [source, summary.rows, summary.weights.length]);
    return true;
  });
}
