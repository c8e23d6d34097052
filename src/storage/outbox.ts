import type { DataSource } from "typeorm";
import type { Detection } from "../detection";
import { S3_RESERVE_LOCK } from "./lock-keys";
import { selectOne, selectRows, type SqlRunner } from "./sql";

/**
 * Moves up to `limit` detections from the outbox into pattern_detections in
 * one statement: marking and inserting commit together, so a crash leaves
 * either both or neither.
 */
export async function moveToPatternDetections(db: SqlRunner, limit: number): Promise<number> {
  const row = await selectOne<{ moved: number }>(
    db,
    `WITH picked AS (
       SELECT id FROM detection_outbox WHERE NOT db_done ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
     ), moved AS (
       UPDATE detection_outbox o SET db_done = true FROM picked WHERE o.id = picked.id
       RETURNING o.id, o.ystarttime, o.detectiontime, o.patternid, o.actiontype, o.customer, o.merchant, o.chunk, o.amount, o.line
     ), inserted AS (
       INSERT INTO pattern_detections (ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line)
       SELECT ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line FROM moved ORDER BY id
       ON CONFLICT DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM moved)::int AS moved`,
    [limit],
  );
  return row.moved;
}

export interface S3Batch {
  readonly batchNo: number;
  readonly objectKey: string;
}

export interface OutboxCounts {
  readonly total: number;
  readonly dbPending: number;
  readonly s3Pending: number;
  readonly byPattern: Record<string, number>;
}

export async function outboxCounts(ds: DataSource): Promise<OutboxCounts> {
  const rows = await selectRows<{ patternId: string; total: number; dbPending: number; s3Pending: number }>(
    ds,
    `SELECT patternid AS "patternId", count(*)::int AS total,
            count(*) FILTER (WHERE NOT db_done)::int AS "dbPending",
            count(*) FILTER (WHERE s3_batch IS NULL)::int AS "s3Pending"
     FROM detection_outbox GROUP BY patternid`,
  );
  const byPattern: Record<string, number> = {};
  let total = 0,
    dbPending = 0,
    s3Pending = 0;
  for (const r of rows) {
    byPattern[r.patternId] = r.total;
    total += r.total;
    dbPending += r.dbPending;
    s3Pending += r.s3Pending;
  }
  return { total, dbPending, s3Pending, byPattern };
}

/** Batches of detections for S3: reserved in the database first, so a rewrite after a crash is byte-identical. */
export class S3BatchStore {
  constructor(
    private readonly ds: DataSource,
    private readonly prefix: string,
  ) {}

  async unwritten(): Promise<S3Batch[]> {
    return selectRows<S3Batch>(this.ds, `SELECT batch_no AS "batchNo", object_key AS "objectKey" FROM s3_batches WHERE written_at IS NULL ORDER BY batch_no`);
  }

  /** Reserves the next `size` unbatched detections; with `partial`, whatever is left if fewer. */
  async reserve(size: number, partial: boolean): Promise<S3Batch | null> {
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock($1)`, [S3_RESERVE_LOCK]);
      const ids = await selectRows<{ id: number }>(em, `SELECT id FROM detection_outbox WHERE s3_batch IS NULL ORDER BY id LIMIT $1`, [size]);
      if (ids.length === 0 || (ids.length < size && !partial)) return null;
      const { next } = await selectOne<{ next: number }>(em, `SELECT coalesce(max(batch_no), 0) + 1 AS next FROM s3_batches`);
      const objectKey = `${this.prefix}detections-${String(next).padStart(8, "0")}.csv`;
      await em.query(`INSERT INTO s3_batches (batch_no, object_key, rows) VALUES ($1, $2, $3)`, [next, objectKey, ids.length]);
      await em.query(`UPDATE detection_outbox SET s3_batch = $1 WHERE id = ANY($2)`, [next, ids.map((r) => r.id)]);
      return { batchNo: next, objectKey };
    });
  }

  async detections(batchNo: number): Promise<Detection[]> {
    return selectRows<Detection>(
      this.ds,
      `SELECT id, ystarttime AS "yStartTime", detectiontime AS "detectionTime", patternid AS "patternId", actiontype AS "actionType",
              customer, merchant, chunk, amount::text AS amount, line
       FROM detection_outbox WHERE s3_batch = $1 ORDER BY id`,
      [batchNo],
    );
  }

  async markWritten(batchNo: number): Promise<void> {
    await this.ds.query(`UPDATE s3_batches SET written_at = now() WHERE batch_no = $1`, [batchNo]);
  }

  /** Detections not yet in any batch (a partial index makes this cheap). */
  async waiting(): Promise<number> {
    const row = await selectOne<{ n: number }>(this.ds, `SELECT count(*)::int AS n FROM detection_outbox WHERE s3_batch IS NULL`);
    return row.n;
  }

  async writtenCount(): Promise<number> {
    const row = await selectOne<{ n: number }>(this.ds, `SELECT count(*)::int AS n FROM s3_batches WHERE written_at IS NOT NULL`);
    return row.n;
  }
}
