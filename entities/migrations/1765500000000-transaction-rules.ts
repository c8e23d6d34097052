import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * PatId4–6 judge single transactions: their detections carry the amount and
 * the row's line, and are identified by (patternid, chunk, line) instead of
 * (patternid, customer, merchant). Checkpoints also hold each customer's
 * history (n, sum, sum of squares) that ANOMALY compares with; `customer_histories`
 * shows the latest of each, like `pair_aggregates` for pairs.
 */
export class TransactionRules1765500000000 implements MigrationInterface {
  name = "TransactionRules1765500000000";

  async up(q: QueryRunner): Promise<void> {
    for (const table of ["detection_outbox", "pattern_detections"]) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN amount numeric, ADD COLUMN line integer`);
      await q.query(`CREATE UNIQUE INDEX ${table}_pattern_identity ON ${table} (patternid, customer, merchant) WHERE line IS NULL`);
      await q.query(`CREATE UNIQUE INDEX ${table}_transaction_identity ON ${table} (patternid, chunk, line) WHERE line IS NOT NULL`);
    }
    await q.query(`ALTER TABLE detection_outbox DROP CONSTRAINT detection_outbox_patternid_customer_merchant_key`);
    await q.query(`ALTER TABLE pattern_detections DROP CONSTRAINT pattern_detections_identity`);
    // A partition load reads the PatId1–3 detections of its partitions only.
    await q.query(`DROP INDEX detection_outbox_partition`);
    await q.query(`CREATE INDEX detection_outbox_partition ON detection_outbox (partition) WHERE line IS NULL`);

    await q.query(`ALTER TABLE pair_checkpoints ADD COLUMN history_count integer NOT NULL DEFAULT 0, ADD COLUMN histories text NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE pair_checkpoints ALTER COLUMN histories SET STORAGE EXTERNAL`);
    await q.query(`CREATE VIEW customer_histories AS
      SELECT DISTINCT ON (c.partition, f[1])
             c.partition, f[1] AS customer, f[2]::integer AS txn_count, f[3]::numeric AS amount_sum, f[4]::numeric AS amount_square_sum
      FROM pair_checkpoints c
      CROSS JOIN LATERAL string_to_table(nullif(c.histories, ''), chr(30)) AS h(history)
      CROSS JOIN LATERAL string_to_array(h.history, chr(31)) AS f
      ORDER BY c.partition, f[1], c.seq DESC`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW customer_histories`);
    await q.query(`ALTER TABLE pair_checkpoints DROP COLUMN history_count, DROP COLUMN histories`);
    await q.query(`DROP INDEX detection_outbox_partition`);
    await q.query(`CREATE INDEX detection_outbox_partition ON detection_outbox (partition)`);
    for (const table of ["detection_outbox", "pattern_detections"]) {
      await q.query(`DELETE FROM ${table} WHERE line IS NOT NULL`);
      await q.query(`DROP INDEX ${table}_pattern_identity, ${table}_transaction_identity`);
      await q.query(`ALTER TABLE ${table} DROP COLUMN amount, DROP COLUMN line`);
    }
    await q.query(`ALTER TABLE detection_outbox ADD CONSTRAINT detection_outbox_patternid_customer_merchant_key UNIQUE (patternid, customer, merchant)`);
    await q.query(`ALTER TABLE pattern_detections ADD CONSTRAINT pattern_detections_identity UNIQUE (patternid, customer, merchant)`);
  }
}
