import type { MigrationInterface, QueryRunner } from "typeorm";

/** Per node, how many cluster packets it dropped for failing authentication (GET /api/stats sums them). */
export class RejectedPackets1765100000000 implements MigrationInterface {
  name = "RejectedPackets1765100000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE rejected_packets (
      node_id text PRIMARY KEY,
      count bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS rejected_packets`);
  }
}
