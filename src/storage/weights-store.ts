import type { PoolClient } from "pg";
import type { DataSource } from "typeorm";
import type { MeanWeights } from "../csv/importance";
import { partitionOf } from "../partitioning";
import { copyRows } from "./copy";
import { IMPORTANCE_LOCK } from "./lock-keys";
import { selectFirst, selectOne, type SqlRunner } from "./sql";

const COPY_BATCH = 50_000;

/** Changes whenever customer weights change (the id of the load in force); partitions loaded before then are stale. */
export async function weightsVersion(db: SqlRunner): Promise<number> {
  const { version } = await selectOne<{ version: number }>(db, `SELECT coalesce(max(id), 0)::int AS version FROM importance_loads`);
  return version;
}

/** The SHA-256 of the importance file whose weights are in force; undefined when none is. */
export async function importanceInForce(db: SqlRunner): Promise<string | undefined> {
  return (await selectFirst<{ sha256: string | null }>(db, `SELECT sha256 FROM importance_loads ORDER BY id DESC LIMIT 1`))?.sha256 ?? undefined;
}

export interface StoredImportance {
  readonly rows: number;
  readonly skipped: number;
  readonly pairs: number;
  readonly sha256: string;
  readonly version: number;
}

/**
 * Puts the importance file whose content hashes to `sha256` in force,
 * atomically, unless it already is: `read` computes its weights, which
 * replace customer_weights (COPY), and the load is recorded under the hash of
 * the bytes `read` read. Returns null when the file was in force already
 * (another process loaded it first).
 */
export async function storeImportance(
  ds: DataSource,
  sha256: string,
  source: string,
  partitions: number,
  read: () => Promise<MeanWeights>,
): Promise<StoredImportance | null> {
  const runner = ds.createQueryRunner();
  const client = (await runner.connect()) as PoolClient;
  await runner.startTransaction();
  try {
    await runner.query(`SELECT pg_advisory_xact_lock($1)`, [IMPORTANCE_LOCK]);
    if ((await importanceInForce(runner)) === sha256) {
      await runner.rollbackTransaction();
      return null;
    }
    const { weights, rows, skipped, pairs, sha256: loaded } = await read();
    await runner.query(`DELETE FROM customer_weights`);
    let batch: string[][] = [];
    const flush = () => copyRows(client, `COPY customer_weights (partition, merchant, customer, weight) FROM STDIN`, batch);
    for (const [merchant, byCustomer] of weights) {
      const partition = String(partitionOf(merchant, partitions));
      for (const [customer, weight] of byCustomer) {
        batch.push([partition, merchant, customer, String(weight)]);
        if (batch.length === COPY_BATCH) {
          await flush();
          batch = [];
        }
      }
    }
    if (batch.length > 0) await flush();
    const { version } = await selectOne<{ version: number }>(
      runner,
      `INSERT INTO importance_loads (source, sha256, rows, skipped, pairs) VALUES ($1, $2, $3, $4, $5) RETURNING id::int AS version`,
      [source, loaded, rows, skipped, pairs],
    );
    await runner.commitTransaction();
    return { rows, skipped, pairs, sha256: loaded, version };
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}
