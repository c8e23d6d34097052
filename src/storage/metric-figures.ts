import { ALERT_QUEUE, CHUNK_LAG, REJECTED_PACKETS, SINK_BACKLOG } from "../metrics/catalogue";
import type { ValueSample } from "../metrics/exposition";
import { selectOne, selectRows, type SqlRunner } from "./sql";

/**
 * The figures whose truth is in PostgreSQL, by metric name, each read through
 * a partial index: pending chunks, each sink's unmoved outbox rows, pending
 * and dead-lettered alert deliveries; and rejected packets (a row per node).
 */
export async function databaseMetricSamples(db: SqlRunner): Promise<Map<string, ValueSample[]>> {
  const [scalars, alerts, rejected] = await Promise.all([
    selectOne<{ lag: number; dbSink: number; s3Sink: number }>(
      db,
      `SELECT (SELECT count(*) FROM chunks WHERE status = 'pending')::int AS lag,
              (SELECT count(*) FROM detection_outbox WHERE NOT db_done)::int AS "dbSink",
              (SELECT count(*) FROM detection_outbox WHERE s3_batch IS NULL)::int AS "s3Sink"`,
    ),
    selectRows<{ channel: string; status: string; n: number }>(
      db,
      `SELECT channel, 'pending' AS status, count(*)::int AS n FROM alert_deliveries WHERE status = 'pending' GROUP BY channel
       UNION ALL
       SELECT channel, 'failed', count(*)::int FROM alert_deliveries WHERE status = 'failed' GROUP BY channel`,
    ),
    selectRows<{ node: string; n: number }>(db, `SELECT node_id AS node, count::float8 AS n FROM rejected_packets`),
  ]);
  return new Map<string, ValueSample[]>([
    [CHUNK_LAG.name, [{ labels: {}, value: scalars.lag }]],
    [
      SINK_BACKLOG.name,
      [
        { labels: { sink: "db-sink" }, value: scalars.dbSink },
        { labels: { sink: "s3-sink" }, value: scalars.s3Sink },
      ],
    ],
    [ALERT_QUEUE.name, alerts.map(({ channel, status, n }) => ({ labels: { channel, status }, value: n }))],
    [REJECTED_PACKETS.name, rejected.map(({ node, n }) => ({ labels: { node }, value: n }))],
  ]);
}
