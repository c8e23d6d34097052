import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The figures that made each detection fire (src/patterns/explanation.ts), in
 * the outbox and in pattern_detections. Required from now on; detections
 * committed before get an empty object (a constant default: no table rewrite),
 * which the API shows as null.
 */
export class Explanations1766000000000 implements MigrationInterface {
  name = "Explanations1766000000000";

  async up(q: QueryRunner): Promise<void> {
    for (const table of ["detection_outbox", "pattern_detections"]) {
      await q.query(`ALTER TABLE ${table} ADD COLUMN explanation jsonb NOT NULL DEFAULT '{}'`);
      await q.query(`ALTER TABLE ${table} ALTER COLUMN explanation DROP DEFAULT`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ["detection_outbox", "pattern_detections"]) await q.query(`ALTER TABLE ${table} DROP COLUMN explanation`);
  }
}
