import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * An importance load is named by the SHA-256 of the file's content, not its
 * path; the latest load is the one in force, and its id is the weights
 * version (ids continue the count of loads the version was before). Loads
 * recorded before have no hash, so the next start loads its file once more.
 */
export class ImportanceByContent1765300000000 implements MigrationInterface {
  name = "ImportanceByContent1765300000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE importance_loads DROP CONSTRAINT importance_loads_pkey`);
    await q.query(`ALTER TABLE importance_loads ADD COLUMN id bigserial PRIMARY KEY`);
    await q.query(`ALTER TABLE importance_loads ADD COLUMN sha256 text`);
    await q.query(`ALTER TABLE importance_loads ADD COLUMN skipped integer NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM importance_loads old USING importance_loads newer WHERE old.source = newer.source AND old.id < newer.id`);
    await q.query(`ALTER TABLE importance_loads DROP COLUMN skipped, DROP COLUMN sha256, DROP COLUMN id`);
    await q.query(`ALTER TABLE importance_loads ADD PRIMARY KEY (source)`);
  }
}
