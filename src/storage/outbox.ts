import type { DataSource } from "typeorm";
import type { FileDetection } from "../sinks/s3-detection-writer";
import { countDetections } from "./detection-query";
import { DB_SINK_MOVE_LOCK, S3_RESERVE_LOCK } from "./lock-keys";
import { selectOne, selectRows, type SqlRunner } from "./sql";

/**
 * Moves up to `limit` detections from the outbox into pattern_detections in
 * one statement: marking and inserting commit together, so a crash leaves
 * either both or neither. Rows another sink holds (the S3 sink reserving a
 * batch, alerts fanning out) are waited for, not skipped: a skipped row
 * would wait for the next wake-up, up to a second later. Moves take turns
 * (DB_SINK_MOVE_LOCK, also across db-sink nodes): each draws its ids after
 * the one before committed, so ids become visible in increasing order, which
 * the detection stream relies on. The same statement keeps detection_counts.
 */
export async function moveToPatternDetections(ds: DataSource, limit: number): Promise<number> {
  return ds.transaction(async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1)`, [DB_SINK_MOVE_LOCK]);
    const row = await selectOne<{ moved: number }>(
      em,
      `WITH picked AS (
       SELECT id FROM detection_outbox WHERE NOT db_done ORDER BY id LIMIT $1 FOR UPDATE
     ), moved AS (
       UPDATE detection_outbox o SET db_done = true FROM picked WHERE o.id = picked.id
       RETURNING o.id, o.ystarttime, o.detectiontime, o.patternid, o.actiontype, o.customer, o.merchant, o.chunk, o.amount, o.line, o.explanation
     ), inserted AS (
       INSERT INTO pattern_detections (ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line, explanation)
       SELECT ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line, explanation FROM moved ORDER BY id
       ON CONFLICT DO NOTHING
       RETURNING patternid
     ), counted AS (
       INSERT INTO detection_counts (patternid, n) SELECT patternid, count(*) FROM inserted GROUP BY patternid
       ON CONFLICT (patternid) DO UPDATE SET n = detection_counts.n + excluded.n
     )
     SELECT (SELECT count(*) FROM moved)::int AS moved`,
      [limit],
    );
    return row.moved;
  });
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

/**
 * What the outbox holds, per pattern: the detections stored (`inDatabase`, from detection_counts)
 * and those the db-sink has not moved yet, each read through a partial index,
 * so the cost follows what waits, not how many detections there are.
 */
export async function outboxCounts(ds: DataSource, inDatabase: Promise<Record<string, number>> = countDetections(ds)): Promise<OutboxCounts> {
  const [stored, dbWaiting, s3Waiting] = await Promise.all([
    inDatabase,
    selectRows<{ patternId: string; n: number }>(
      ds,
      `SELECT patternid AS "patternId", count(*)::int AS n FROM detection_outbox WHERE NOT db_done GROUP BY patternid`,
    ),
    s3WaitingCount(ds),
  ]);
  const byPattern: Record<string, number> = {};
  for (const { patternId, n } of [...Object.entries(stored).map(([patternId, n]) => ({ patternId, n })), ...dbWaiting]) {
    byPattern[patternId] = (byPattern[patternId] ?? 0) + n;
  }
  const dbPending = dbWaiting.reduce((sum, r) => sum + r.n, 0);
  return { total: Object.values(byPattern).reduce((sum, n) => sum + n, 0), dbPending, s3Pending: s3Waiting, byPattern };
}

/** Detections not yet in any S3 batch (a partial index makes this cheap). */
async function s3WaitingCount(db: SqlRunner): Promise<number> {
  return (await selectOne<{ n: number }>(db, `SELECT count(*)::int AS n FROM detection_outbox WHERE s3_batch IS NULL`)).n;
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

  /**
   * Reserves up to `most` batches of `size` unbatched detections in one
   * transaction, in id order; with `partial`, the last may hold fewer.
   */
  async reserve(size: number, partial: boolean, most = 1): Promise<S3Batch[]> {
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock($1)`, [S3_RESERVE_LOCK]);
      // Locked in id order, as every sink locks outbox rows, so that sinks wait for each other and never deadlock.
      const ids = await selectRows<{ id: number }>(em, `SELECT id FROM detection_outbox WHERE s3_batch IS NULL ORDER BY id LIMIT $1 FOR UPDATE`, [size * most]);
      const count = partial ? Math.ceil(ids.length / size) : Math.floor(ids.length / size);
      if (count === 0) return [];
      const { next } = await selectOne<{ next: number }>(em, `SELECT coalesce(max(batch_no), 0) + 1 AS next FROM s3_batches`);
      const batches = Array.from({ length: count }, (_, i) => ({
        batchNo: next + i,
        objectKey: `${this.prefix}detections-${String(next + i).padStart(8, "0")}.csv`,
      }));
      const taken = ids.slice(0, count * size);
      await em.query(`INSERT INTO s3_batches (batch_no, object_key, rows) SELECT * FROM unnest($1::bigint[], $2::text[], $3::int[])`, [
        batches.map((b) => b.batchNo),
        batches.map((b) => b.objectKey),
        batches.map((_, i) => Math.min(size, taken.length - i * size)),
      ]);
      await em.query(`UPDATE detection_outbox o SET s3_batch = t.batch FROM unnest($1::bigint[], $2::bigint[]) AS t(id, batch) WHERE o.id = t.id`, [
        taken.map((r) => r.id),
        taken.map((_, i) => next + Math.floor(i / size)),
      ]);
      return batches;
    });
  }

  /** The detections of each batch, in id order. */
  async detections(batchNos: readonly number[]): Promise<Map<number, FileDetection[]>> {
    const rows = await selectRows<FileDetection & { batchNo: number }>(
      this.ds,
      `SELECT s3_batch AS "batchNo", id, ystarttime AS "yStartTime", detectiontime AS "detectionTime", patternid AS "patternId", actiontype AS "actionType",
              customer, merchant, chunk, amount::text AS amount, line
       FROM detection_outbox WHERE s3_batch = ANY($1) ORDER BY id`,
      [[...batchNos]],
    );
    const byBatch = new Map<number, FileDetection[]>(batchNos.map((b) => [b, []]));
    for (const { batchNo, ...d } of rows) byBatch.get(batchNo)!.push(d);
    return byBatch;
  }

  async markWritten(batchNos: readonly number[]): Promise<void> {
    await this.ds.query(`UPDATE s3_batches SET written_at = now() WHERE batch_no = ANY($1)`, [[...batchNos]]);
  }

  /** Detections not yet in any batch. */
  waiting(): Promise<number> {
    return s3WaitingCount(this.ds);
  }

  async writtenCount(): Promise<number> {
    const row = await selectOne<{ n: number }>(this.ds, `SELECT count(*)::int AS n FROM s3_batches WHERE written_at IS NOT NULL`);
    return row.n;
  }
}
