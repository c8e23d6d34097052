import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Alerts: every detection and every pipeline problem (`alert_events`) is
 * fanned out to the channels it is routed to, one `alert_deliveries` row per
 * (alert, channel) with its attempts, next attempt and last error.
 * `detection_outbox.alerts_done` marks a detection fanned out (a flag, not an id
 * cursor, so ids committed out of order are never skipped); detections and
 * failed chunks from before this migration count as alerted already, so an
 * upgrade does not mail the whole history.
 */
export class Alerts1765600000000 implements MigrationInterface {
  name = "Alerts1765600000000";

  async up(q: QueryRunner): Promise<void> {
    // Existing rows take the default (true) without a table rewrite; new rows start false.
    await q.query(`ALTER TABLE detection_outbox ADD COLUMN alerts_done boolean NOT NULL DEFAULT true`);
    await q.query(`ALTER TABLE detection_outbox ALTER COLUMN alerts_done SET DEFAULT false`);
    await q.query(`CREATE INDEX detection_outbox_alerts_pending ON detection_outbox (id) WHERE NOT alerts_done`);
    await q.query(`CREATE INDEX chunks_failed ON chunks (seq) WHERE status = 'failed'`);
    await q.query(`CREATE TABLE alert_events (
      id bigserial PRIMARY KEY,
      kind text NOT NULL,
      subject text NOT NULL,
      message text NOT NULL,
      occurred_at timestamptz NOT NULL DEFAULT now(),
      fanned_out boolean NOT NULL DEFAULT false,
      UNIQUE (kind, subject))`);
    await q.query(`CREATE INDEX alert_events_pending ON alert_events (id) WHERE NOT fanned_out`);
    await q.query(`INSERT INTO alert_events (kind, subject, message, occurred_at, fanned_out)
      SELECT 'chunk-failed', key, coalesce(error, 'failed'), coalesce(finished_at, discovered_at), true FROM chunks WHERE status = 'failed'`);
    await q.query(`CREATE TABLE alert_deliveries (
      id bigserial PRIMARY KEY,
      detection_id bigint,
      event_id bigint REFERENCES alert_events (id),
      channel text NOT NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((detection_id IS NULL) <> (event_id IS NULL)))`);
    await q.query(`CREATE UNIQUE INDEX alert_deliveries_detection ON alert_deliveries (detection_id, channel) WHERE detection_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX alert_deliveries_event ON alert_deliveries (event_id, channel) WHERE event_id IS NOT NULL`);
    await q.query(`CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX alert_deliveries_failed ON alert_deliveries (id) WHERE status = 'failed'`);
    // When each channel last sent, so that email digests keep their pace across restarts.
    await q.query(`CREATE TABLE alert_channels (channel text PRIMARY KEY, last_sent_at timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE alert_channels`);
    await q.query(`DROP TABLE alert_deliveries`);
    await q.query(`DROP TABLE alert_events`);
    await q.query(`DROP INDEX chunks_failed`);
    await q.query(`DROP INDEX detection_outbox_alerts_pending`);
    await q.query(`ALTER TABLE detection_outbox DROP COLUMN alerts_done`);
  }
}
