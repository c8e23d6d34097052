import type { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Case review beside the immutable detections: `detection_reviews` holds the
 * current review of a detection (none: status new), `detection_review_changes`
 * every change of it, who made it, and the values before and after.
 */
export class DetectionReviews1765900000000 implements MigrationInterface {
  name = "DetectionReviews1765900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE detection_reviews (
      detection_id bigint PRIMARY KEY REFERENCES pattern_detections (id),
      status text NOT NULL CHECK (status IN ('new', 'reviewing', 'confirmed', 'dismissed')),
      assignee text,
      notes text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      updated_by text NOT NULL)`);
    await q.query(`CREATE INDEX detection_reviews_status ON detection_reviews (status, detection_id)`);
    await q.query(`CREATE TABLE detection_review_changes (
      id bigserial PRIMARY KEY,
      detection_id bigint NOT NULL REFERENCES pattern_detections (id),
      changed_at timestamptz NOT NULL DEFAULT now(),
      changed_by text NOT NULL,
      old_status text NOT NULL,
      new_status text NOT NULL,
      old_assignee text,
      new_assignee text,
      old_notes text,
      new_notes text)`);
    await q.query(`CREATE INDEX detection_review_changes_detection ON detection_review_changes (detection_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE detection_review_changes`);
    await q.query(`DROP TABLE detection_reviews`);
  }
}
