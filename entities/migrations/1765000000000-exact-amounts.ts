import type { MigrationInterface, QueryRunner } from "typeorm";

/** Amount sums become exact decimals with every digit of the input (they were integer cents, rounded). */
export class ExactAmounts1765000000000 implements MigrationInterface {
  name = "ExactAmounts1765000000000";

  async up(q: QueryRunner): Promise<void> {
    // × 0.01 rather than / 100: the product keeps scale 2 (12.34), a quotient would carry 16 zeros.
    await q.query(`ALTER TABLE pair_aggregates ALTER COLUMN amount_cents TYPE numeric USING amount_cents * 0.01`);
    await q.query(`ALTER TABLE pair_aggregates RENAME COLUMN amount_cents TO amount_sum`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE pair_aggregates RENAME COLUMN amount_sum TO amount_cents`);
    await q.query(`ALTER TABLE pair_aggregates ALTER COLUMN amount_cents TYPE bigint USING round(amount_cents * 100)`);
  }
}
