import type { Explanation } from "../patterns/explanation";
import type { Alert, PipelineEventKind } from "../alerts/alert";
import { selectFirst, selectOne, selectRows, type SqlRunner } from "./sql";

/** One row of `alert_deliveries`: an alert on its way to one channel. */
interface DeliveryRecord {
  readonly id: number;
  readonly channel: string;
  readonly status: "pending" | "delivered" | "failed";
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastError: string | null;
  readonly detectionId: number | null;
  readonly eventId: number | null;
  readonly updatedAt: Date;
}

/** A pending delivery that is due, with what it carries. */
export interface DueDelivery {
  readonly id: number;
  readonly channel: string;
  readonly attempts: number;
  readonly alert: Alert;
}

/** A source-to-channel routing pair, as the fan-out statements take them. */
export interface RoutePair {
  readonly source: string;
  readonly channel: string;
}

/**
 * Fans out up to `limit` detections not yet fanned out: one delivery per
 * routed channel, and the flag set, in one statement. Returns how many
 * detections it took (routed or not).
 */
export async function fanOutDetections(db: SqlRunner, routes: readonly RoutePair[], limit: number): Promise<number> {
  const row = await selectOne<{ picked: number }>(
    db,
    `WITH picked AS (
       SELECT id FROM detection_outbox WHERE NOT alerts_done ORDER BY id LIMIT $1 FOR UPDATE
     ), marked AS (
       UPDATE detection_outbox o SET alerts_done = true FROM picked WHERE o.id = picked.id RETURNING o.id, o.patternid
     ), inserted AS (
       INSERT INTO alert_deliveries (detection_id, channel)
       SELECT m.id, r.channel FROM marked m JOIN unnest($2::text[], $3::text[]) AS r(source, channel) ON r.source = m.patternid
       ON CONFLICT DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM marked)::int AS picked, (SELECT count(*) FROM inserted)::int AS routed`,
    [limit, routes.map((r) => r.source), routes.map((r) => r.channel)],
  );
  return row.picked;
}

/** Fans out pipeline events not yet fanned out to `channels`; returns how many events it took. */
export async function fanOutEvents(db: SqlRunner, channels: readonly string[], limit: number): Promise<number> {
  const row = await selectOne<{ picked: number }>(
    db,
    `WITH picked AS (
       SELECT id FROM alert_events WHERE NOT fanned_out ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
     ), marked AS (
       UPDATE alert_events e SET fanned_out = true FROM picked WHERE e.id = picked.id RETURNING e.id
     ), inserted AS (
       INSERT INTO alert_deliveries (event_id, channel) SELECT m.id, c.channel FROM marked m CROSS JOIN unnest($2::text[]) AS c(channel)
       ON CONFLICT DO NOTHING
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM marked)::int AS picked, (SELECT count(*) FROM inserted)::int AS routed`,
    [limit, [...channels]],
  );
  return row.picked;
}

/** Records a pipeline event once per (kind, subject); true when it is new. */
export async function recordPipelineEvent(db: SqlRunner, kind: PipelineEventKind, subject: string, message: string): Promise<boolean> {
  const rows = await selectRows<{ id: number }>(
    db,
    `INSERT INTO alert_events (kind, subject, message) VALUES ($1, $2, $3) ON CONFLICT (kind, subject) DO NOTHING RETURNING id`,
    [kind, subject, message],
  );
  return rows.length > 0;
}

/** Records a `chunk-failed` event for every failed chunk in the ledger without one; returns how many are new. */
export async function recordFailedChunks(db: SqlRunner): Promise<number> {
  const rows = await selectRows<{ id: number }>(
    db,
    `INSERT INTO alert_events (kind, subject, message, occurred_at)
     SELECT 'chunk-failed', c.key, 'chunk ' || c.key || ' (seq ' || c.seq || ') failed: ' || coalesce(c.error, 'no reason recorded'), coalesce(c.finished_at, now())
     FROM chunks c
     WHERE c.status = 'failed' AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.kind = 'chunk-failed' AND e.subject = c.key)
     ORDER BY c.seq
     ON CONFLICT (kind, subject) DO NOTHING
     RETURNING id`,
  );
  return rows.length;
}

/** Records a `quarantine-rate` event for every applied chunk whose share of bad rows is over `limit`; returns how many are new. */
export async function recordQuarantineRates(db: SqlRunner, limit: number): Promise<number> {
  if (limit >= 1) return 0;
  const rows = await selectRows<{ id: number }>(
    db,
    `INSERT INTO alert_events (kind, subject, message, occurred_at)
     SELECT 'quarantine-rate', c.key,
            'chunk ' || c.key || ' (seq ' || c.seq || '): ' || c.rows_bad || ' of ' || (c.rows_valid + c.rows_bad) || ' rows quarantined, over the limit of '
              || round($1::numeric * 100, 2) || ' %',
            coalesce(c.finished_at, now())
     FROM chunks c
     WHERE c.status = 'applied' AND c.rows_bad > $1::float8 * (c.rows_valid + c.rows_bad)
       AND NOT EXISTS (SELECT 1 FROM alert_events e WHERE e.kind = 'quarantine-rate' AND e.subject = c.key)
     ORDER BY c.seq
     ON CONFLICT (kind, subject) DO NOTHING
     RETURNING id`,
    [limit],
  );
  return rows.length;
}

/**
 * Records a `sink-stuck` event when a sink's oldest waiting detection was
 * committed more than `stuckMs` ago: db-sink for one not yet in
 * pattern_detections, s3-sink for one not yet in a file while a full file's
 * worth waits. Once per sink and oldest detection; returns how many are new.
 */
export async function recordStuckSinks(db: SqlRunner, stuckMs: number, perFile: number): Promise<number> {
  if (stuckMs === 0) return 0;
  const rows = await selectRows<{ id: number }>(
    db,
    `WITH oldest AS (
       SELECT 'db-sink' AS sink, min(id) AS id, min(detectiontime) AS since FROM detection_outbox WHERE NOT db_done
       UNION ALL
       SELECT 's3-sink', min(id), min(detectiontime) FROM detection_outbox WHERE s3_batch IS NULL
       HAVING count(*) >= $2
     )
     INSERT INTO alert_events (kind, subject, message, occurred_at)
     SELECT 'sink-stuck', o.sink || '/' || o.id,
            o.sink || ' has not taken detection ' || o.id || ' committed at ' || o.since || ' (more than ' || ($1::int / 1000) || ' s ago)', now()
     FROM oldest o
     WHERE o.id IS NOT NULL AND o.since < now() - make_interval(secs => $1::int / 1000.0)
     ON CONFLICT (kind, subject) DO NOTHING
     RETURNING id`,
    [stuckMs, perFile],
  );
  return rows.length;
}

interface DueRow {
  id: number;
  channel: string;
  attempts: number;
  detectionId: number | null;
  patternId: string;
  actionType: string;
  customer: string;
  merchant: string;
  chunk: string;
  amount: string | null;
  line: number | null;
  yStartTime: Date;
  detectionTime: Date;
  /** Null for a detection committed before explanations were kept. */
  explanation: Explanation | null;
  eventId: number | null;
  kind: PipelineEventKind;
  subject: string;
  message: string;
  occurredAt: Date;
}

/** Up to `limit` pending deliveries of `channel` whose next attempt is due, oldest first. */
export async function dueDeliveries(db: SqlRunner, channel: string, limit: number): Promise<DueDelivery[]> {
  const rows = await selectRows<DueRow>(
    db,
    `SELECT d.id, d.channel, d.attempts, d.detection_id AS "detectionId",
            o.patternid AS "patternId", o.actiontype AS "actionType", o.customer, o.merchant, o.chunk, o.amount::text AS amount, o.line,
            o.ystarttime AS "yStartTime", o.detectiontime AS "detectionTime",
            nullif(o.explanation, '{}'::jsonb) AS explanation,
            d.event_id AS "eventId", e.kind, e.subject, e.message, e.occurred_at AS "occurredAt"
     FROM alert_deliveries d
     LEFT JOIN detection_outbox o ON o.id = d.detection_id
     LEFT JOIN alert_events e ON e.id = d.event_id
     WHERE d.status = 'pending' AND d.channel = $1 AND d.next_attempt_at <= now()
     ORDER BY d.id LIMIT $2`,
    [channel, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    attempts: r.attempts,
    alert:
      r.eventId === null
        ? {
            type: "detection",
            detection: {
              id: r.detectionId!, // a delivery is of a detection or of an event
              patternId: r.patternId,
              actionType: r.actionType,
              customer: r.customer,
              merchant: r.merchant,
              chunk: r.chunk,
              amount: r.amount,
              line: r.line,
              yStartTime: r.yStartTime,
              detectionTime: r.detectionTime,
              explanation: r.explanation,
            },
          }
        : { type: "pipeline", event: { id: r.eventId, kind: r.kind, subject: r.subject, message: r.message, occurredAt: r.occurredAt } },
  }));
}

export async function markDelivered(db: SqlRunner, ids: readonly number[]): Promise<void> {
  await db.query(`UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_error = NULL, updated_at = now() WHERE id = ANY($1)`, [
    [...ids],
  ]);
}

/** One more failed attempt: retried after `retryInMs`, or dead-lettered (status failed) when `retryInMs` is null. */
export async function markAttemptFailed(db: SqlRunner, ids: readonly number[], error: string, retryInMs: number | null): Promise<void> {
  await db.query(
    `UPDATE alert_deliveries
     SET attempts = attempts + 1, last_error = $2, updated_at = now(),
         status = CASE WHEN $3::bigint IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $3::bigint IS NULL THEN next_attempt_at ELSE now() + $3::bigint * interval '1 millisecond' END
     WHERE id = ANY($1)`,
    [[...ids], error.slice(0, 2000), retryInMs],
  );
}

/** Milliseconds until the earliest pending delivery of `channels` is due (0 if one is due now); null when none is pending. */
export async function msUntilNextDue(db: SqlRunner, channels: readonly string[]): Promise<number | null> {
  const row = await selectOne<{ ms: number | null }>(
    db,
    `SELECT greatest(0, ceil(extract(epoch FROM min(next_attempt_at) - now()) * 1000))::float8 AS ms
     FROM alert_deliveries WHERE status = 'pending' AND channel = ANY($1)`,
    [[...channels]],
  );
  return row.ms;
}

/** A dead-lettered delivery with a one-line summary of its alert, for `GET /api/alerts/failed`. */
export interface FailedDelivery {
  readonly id: number;
  readonly channel: string;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly failedAt: Date;
  readonly detectionId: number | null;
  readonly eventId: number | null;
  readonly summary: string;
}

export async function failedDeliveries(db: SqlRunner, limit: number): Promise<FailedDelivery[]> {
  return selectRows<FailedDelivery>(
    db,
    `SELECT d.id, d.channel, d.attempts, d.last_error AS "lastError", d.updated_at AS "failedAt",
            d.detection_id AS "detectionId", d.event_id AS "eventId",
            coalesce(o.patternid || ' ' || o.actiontype || ' customer ' || o.customer || ' at merchant ' || o.merchant, e.kind || ': ' || e.message, '') AS summary
     FROM alert_deliveries d
     LEFT JOIN detection_outbox o ON o.id = d.detection_id
     LEFT JOIN alert_events e ON e.id = d.event_id
     WHERE d.status = 'failed' ORDER BY d.id DESC LIMIT $1`,
    [limit],
  );
}

/** Puts a dead-lettered delivery back in the queue with its attempts reset; undefined when no delivery has that id. */
export async function redeliver(db: SqlRunner, id: number): Promise<{ before: DeliveryRecord["status"] } | undefined> {
  const row = await selectFirst<{ before: DeliveryRecord["status"] }>(
    db,
    // A CTE: TypeORM returns an UPDATE's rows paired with a count, a SELECT's as they are.
    `WITH requeued AS (
       UPDATE alert_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'failed' RETURNING id
     )
     SELECT 'failed' AS before FROM requeued`,
    [id],
  );
  if (row) return row;
  const existing = await selectFirst<{ before: DeliveryRecord["status"] }>(db, `SELECT status AS before FROM alert_deliveries WHERE id = $1`, [id]);
  return existing;
}

/** When `channel` last sent something (email digests keep their pace across restarts). */
export async function lastSentAt(db: SqlRunner, channel: string): Promise<Date | undefined> {
  return (await selectFirst<{ at: Date }>(db, `SELECT last_sent_at AS at FROM alert_channels WHERE channel = $1`, [channel]))?.at;
}

export async function markSent(db: SqlRunner, channel: string): Promise<void> {
  await db.query(`INSERT INTO alert_channels (channel, last_sent_at) VALUES ($1, now()) ON CONFLICT (channel) DO UPDATE SET last_sent_at = now()`, [channel]);
}
