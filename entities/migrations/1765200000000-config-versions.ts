import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The configuration in force, versioned: each version holds every threshold
 * and the chunk sequence from which it applies, so that a replay computes each
 * chunk with the version that was in force for it.
 */
export class ConfigVersions1765200000000 implements MigrationInterface {
  name = "ConfigVersions1765200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE config_versions (
      version integer PRIMARY KEY,
      from_seq bigint NOT NULL,
      thresholds jsonb NOT NULL,
      recorded_by text NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS config_versions`);
  }
}
