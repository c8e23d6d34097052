import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Checkpoints become a log per partition: one row per checkpoint holding the
 * pairs it changed, packed into one text (pairs separated by chr(30), fields
 * by chr(31)), or all of the partition's pairs (`full_set`), after which the
 * older rows go. Upserting each pair into an indexed table cost PostgreSQL
 * ~20 µs a pair, the most of its CPU at millions of pairs; a row per
 * partition costs next to nothing. `pair_aggregates` stays, as a view of the
 * latest value of each pair, for SQL users.
 */
export class PairCheckpointLog1765400000000 implements MigrationInterface {
  name = "PairCheckpointLog1765400000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE pair_checkpoints (
      partition integer NOT NULL,
      seq bigint NOT NULL,
      full_set boolean NOT NULL,
      pair_count integer NOT NULL,
      pairs text NOT NULL,
      PRIMARY KEY (partition, seq))`);
    // Written once, read only on a partition load: compressing would cost CPU on every checkpoint.
    await q.query(`ALTER TABLE pair_checkpoints ALTER COLUMN pairs SET STORAGE EXTERNAL`);
    await q.query(`INSERT INTO pair_checkpoints (partition, seq, full_set, pair_count, pairs)
      SELECT a.partition, s.checkpoint_seq, true, count(*),
             string_agg(concat_ws(chr(31), a.merchant, a.customer, a.txn_count, a.amount_sum, a.gender), chr(30))
      FROM pair_aggregates a JOIN partition_state s USING (partition)
      GROUP BY a.partition, s.checkpoint_seq`);
    await q.query(`DROP TABLE pair_aggregates`);
    await q.query(`CREATE VIEW pair_aggregates AS
      SELECT DISTINCT ON (c.partition, f[1], f[2])
             c.partition, f[1] AS merchant, f[2] AS customer, f[3]::integer AS txn_count, f[4]::numeric AS amount_sum, f[5] AS gender
      FROM pair_checkpoints c
      CROSS JOIN LATERAL string_to_table(c.pairs, chr(30)) AS p(pair)
      CROSS JOIN LATERAL string_to_array(p.pair, chr(31)) AS f
      ORDER BY c.partition, f[1], f[2], c.seq DESC`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE pair_aggregates_table AS SELECT merchant, customer, partition, txn_count, amount_sum, gender FROM pair_aggregates`);
    await q.query(`DROP VIEW pair_aggregates`);
    await q.query(`DROP TABLE pair_checkpoints`);
    await q.query(`ALTER TABLE pair_aggregates_table RENAME TO pair_aggregates`);
    await q.query(`ALTER TABLE pair_aggregates ALTER COLUMN merchant SET NOT NULL, ALTER COLUMN customer SET NOT NULL, ALTER COLUMN partition SET NOT NULL,
      ALTER COLUMN txn_count SET NOT NULL, ALTER COLUMN amount_sum SET NOT NULL, ALTER COLUMN gender SET NOT NULL`);
    await q.query(`ALTER TABLE pair_aggregates ADD PRIMARY KEY (partition, merchant, customer), SET (fillfactor = 70)`);
  }
}
