import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Backtests: each run of a candidate configuration over the archived chunks,
 * who asked for it, and its result once done. A backtest writes here only;
 * the live tables (detections, outbox, state, configuration) are only read.
 */
export class Backtests1765700000000 implements MigrationInterface {
  name = "Backtests1765700000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE backtests (
      id serial PRIMARY KEY,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL DEFAULT now(),
      candidate jsonb NOT NULL,
      from_seq bigint,
      to_seq bigint,
      status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
      error text,
      result jsonb,
      finished_at timestamptz)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE backtests`);
  }
}
