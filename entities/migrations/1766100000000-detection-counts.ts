import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Detections per pattern in pattern_detections, kept by the move that inserts
 * them (src/storage/outbox.ts), so that the stats an open dashboard reads
 * every few seconds cost the same however many detections there are.
 */
export class DetectionCounts1766100000000 implements MigrationInterface {
  name = "DetectionCounts1766100000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE detection_counts (patternid text PRIMARY KEY, n bigint NOT NULL)`);
    await q.query(`INSERT INTO detection_counts (patternid, n) SELECT patternid, count(*) FROM pattern_detections GROUP BY patternid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE detection_counts`);
  }
}
