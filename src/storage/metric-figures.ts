import { selectOne, selectRows, type SqlRunner } from "./sql";

/** What PostgreSQL knows that /metrics shows: what waits, and the packets each node rejected. */
export interface DatabaseFigures {
  /** Chunks in the ledger not applied yet. */
  readonly chunkLag: number;
  /** Committed detections each sink has not taken from the outbox. */
  readonly backlog: { readonly dbSink: number; readonly s3Sink: number };
  /** Alert deliveries waiting or dead-lettered, per channel. */
  readonly alertQueue: ReadonlyArray<{ readonly channel: string; readonly status: "pending" | "failed"; readonly n: number }>;
  readonly rejectedPackets: ReadonlyArray<{ readonly node: string; readonly n: number }>;
}

/** Each figure read through a partial index of what waits, so a read costs the same however large the tables grow. */
export async function databaseFigures(db: SqlRunner): Promise<DatabaseFigures> {
  const [scalars, alertQueue, rejectedPackets] = await Promise.all([
    selectOne<{ lag: number; dbSink: number; s3Sink: number }>(
      db,
      `SELECT (SELECT count(*) FROM chunks WHERE status = 'pending')::int AS lag,
              (SELECT count(*) FROM detection_outbox WHERE NOT db_done)::int AS "dbSink",
              (SELECT count(*) FROM detection_outbox WHERE s3_batch IS NULL)::int AS "s3Sink"`,
    ),
    selectRows<{ channel: string; status: "pending" | "failed"; n: number }>(
      db,
      `SELECT channel, 'pending' AS status, count(*)::int AS n FROM alert_deliveries WHERE status = 'pending' GROUP BY channel
       UNION ALL
       SELECT channel, 'failed', count(*)::int FROM alert_deliveries WHERE status = 'failed' GROUP BY channel`,
    ),
    selectRows<{ node: string; n: number }>(db, `SELECT node_id AS node, count::float8 AS n FROM rejected_packets`),
  ]);
  return { chunkLag: scalars.lag, backlog: { dbSink: scalars.dbSink, s3Sink: scalars.s3Sink }, alertQueue, rejectedPackets };
}
