import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The whole schema. Tables the hot path writes with multi-row SQL
 * (aggregates, weights, outbox) have no entity; their shape is here.
 */
export class Initial1763900000000 implements MigrationInterface {
  name = "Initial1763900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE deployment_meta (key text PRIMARY KEY, value text NOT NULL)`);
    await q.query(`CREATE TABLE chunker_progress (
      source text PRIMARY KEY,
      header text NOT NULL,
      byte_offset bigint NOT NULL,
      row_offset bigint NOT NULL,
      chunks_written integer NOT NULL,
      finished boolean NOT NULL DEFAULT false,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE chunks (
      seq bigint PRIMARY KEY,
      key text NOT NULL UNIQUE,
      status text NOT NULL CHECK (status IN ('pending', 'applied', 'failed')),
      discovered_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      rows_valid integer,
      rows_bad integer,
      error text)`);
    await q.query(`CREATE INDEX chunks_pending ON chunks (seq) WHERE status = 'pending'`);
    await q.query(`CREATE TABLE partition_state (
      partition integer PRIMARY KEY,
      applied_seq bigint NOT NULL DEFAULT 0,
      checkpoint_seq bigint NOT NULL DEFAULT 0,
      owner text,
      updated_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE pair_aggregates (
      merchant text NOT NULL,
      customer text NOT NULL,
      partition integer NOT NULL,
      txn_count integer NOT NULL,
      amount_cents bigint NOT NULL,
      gender text NOT NULL,
      PRIMARY KEY (partition, merchant, customer))
      WITH (fillfactor = 70)`); // checkpoints rewrite thousands of rows: room for HOT updates
    await q.query(`CREATE TABLE customer_weights (
      merchant text NOT NULL,
      customer text NOT NULL,
      partition integer NOT NULL,
      weight double precision NOT NULL,
      PRIMARY KEY (merchant, customer))`);
    await q.query(`CREATE INDEX customer_weights_partition ON customer_weights (partition)`);
    await q.query(`CREATE TABLE importance_loads (
      source text PRIMARY KEY,
      rows integer NOT NULL,
      pairs integer NOT NULL,
      loaded_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(`CREATE TABLE detection_outbox (
      id bigserial PRIMARY KEY,
      partition integer NOT NULL,
      chunk_seq bigint NOT NULL,
      chunk text NOT NULL,
      patternid text NOT NULL,
      actiontype text NOT NULL,
      customer text NOT NULL,
      merchant text NOT NULL,
      ystarttime timestamptz NOT NULL,
      detectiontime timestamptz NOT NULL,
      db_done boolean NOT NULL DEFAULT false,
      s3_batch bigint,
      UNIQUE (patternid, customer, merchant))`);
    await q.query(`CREATE INDEX detection_outbox_partition ON detection_outbox (partition)`);
    await q.query(`CREATE INDEX detection_outbox_db_pending ON detection_outbox (id) WHERE NOT db_done`);
    await q.query(`CREATE INDEX detection_outbox_s3_pending ON detection_outbox (id) WHERE s3_batch IS NULL`);
    await q.query(`CREATE INDEX detection_outbox_s3_batch ON detection_outbox (s3_batch) WHERE s3_batch IS NOT NULL`);
    await q.query(`CREATE TABLE s3_batches (
      batch_no bigint PRIMARY KEY,
      object_key text NOT NULL,
      rows integer NOT NULL,
      reserved_at timestamptz NOT NULL DEFAULT now(),
      written_at timestamptz)`);
    await q.query(`CREATE TABLE pattern_detections (
      id bigserial PRIMARY KEY,
      ystarttime timestamptz NOT NULL,
      detectiontime timestamptz NOT NULL,
      patternid text NOT NULL,
      actiontype text NOT NULL,
      customer text NOT NULL,
      merchant text NOT NULL,
      chunk text NOT NULL,
      CONSTRAINT pattern_detections_identity UNIQUE (patternid, customer, merchant))`);
    await q.query(`CREATE INDEX pattern_detections_merchant ON pattern_detections (merchant, id)`);
    await q.query(`CREATE INDEX pattern_detections_customer ON pattern_detections (customer, id)`);
    await q.query(`CREATE INDEX pattern_detections_pattern ON pattern_detections (patternid, id)`);
    await q.query(`CREATE INDEX pattern_detections_time ON pattern_detections (detectiontime)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      "pattern_detections",
      "s3_batches",
      "detection_outbox",
      "importance_loads",
      "customer_weights",
      "pair_aggregates",
      "partition_state",
      "chunks",
      "chunker_progress",
      "deployment_meta",
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
