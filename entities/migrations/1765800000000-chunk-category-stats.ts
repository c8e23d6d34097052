import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Per chunk, commit and category: the transactions and their amount, and
 * those PatId4–6 flagged, written with the chunk's commit (so exactly once).
 * A commit advances several partitions; `partition` is the lowest of them,
 * which no other commit of the chunk has. Dashboards sum over commits; the
 * view adds the chunk's key and time.
 */
export class ChunkCategoryStats1765800000000 implements MigrationInterface {
  name = "ChunkCategoryStats1765800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE chunk_category_stats (
      chunk_seq bigint NOT NULL,
      partition integer NOT NULL,
      category text NOT NULL,
      transactions integer NOT NULL,
      amount numeric NOT NULL,
      flagged integer NOT NULL,
      flagged_amount numeric NOT NULL,
      high_value integer NOT NULL,
      blacklisted integer NOT NULL,
      blacklisted_amount numeric NOT NULL,
      anomaly integer NOT NULL,
      PRIMARY KEY (chunk_seq, partition, category))`);
    await q.query(`CREATE VIEW transaction_stats AS
      SELECT s.chunk_seq, c.key AS chunk, c.finished_at AS applied_at, s.category,
             sum(s.transactions)::bigint AS transactions, sum(s.amount) AS amount,
             sum(s.flagged)::bigint AS flagged, sum(s.flagged_amount) AS flagged_amount,
             sum(s.high_value)::bigint AS high_value, sum(s.blacklisted)::bigint AS blacklisted,
             sum(s.blacklisted_amount) AS blacklisted_amount, sum(s.anomaly)::bigint AS anomaly
      FROM chunk_category_stats s JOIN chunks c ON c.seq = s.chunk_seq
      GROUP BY s.chunk_seq, c.key, c.finished_at, s.category`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW transaction_stats`);
    await q.query(`DROP TABLE chunk_category_stats`);
  }
}
