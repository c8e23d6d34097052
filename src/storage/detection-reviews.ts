import type { DataSource } from "typeorm";
import { applyReviewChange, UNREVIEWED, type Review, type ReviewChange, type ReviewHistoryEntry } from "../review";
import { selectFirst, selectRows, type SqlRunner } from "./sql";

interface ReviewRow extends Review {
  readonly detectionId: number;
}

const REVIEW_COLUMNS = `detection_id AS "detectionId", status, assignee, notes, updated_at AS "updatedAt", updated_by AS "updatedBy"`;

/** A review row as a Review; no row: never reviewed. */
function asReview(row: ReviewRow | undefined): Review {
  if (!row) return UNREVIEWED;
  const { status, assignee, notes, updatedAt, updatedBy } = row;
  return { status, assignee, notes, updatedAt, updatedBy };
}

/** The reviews of the given detections, by detection id; those never reviewed are new. */
export async function reviewsOf(db: SqlRunner, detectionIds: readonly number[]): Promise<Map<number, Review>> {
  const rows = await selectRows<ReviewRow>(db, `SELECT ${REVIEW_COLUMNS} FROM detection_reviews WHERE detection_id = ANY($1::bigint[])`, [detectionIds]);
  const byId = new Map(rows.map((r) => [r.detectionId, asReview(r)]));
  return new Map(detectionIds.map((id) => [id, byId.get(id) ?? UNREVIEWED]));
}

/** Every change of a detection's review, oldest first. */
export async function reviewHistory(db: SqlRunner, detectionId: number): Promise<ReviewHistoryEntry[]> {
  return selectRows<ReviewHistoryEntry>(
    db,
    `SELECT changed_at AS at, changed_by AS by,
       json_build_object('status', old_status, 'assignee', old_assignee, 'notes', old_notes) AS before,
       json_build_object('status', new_status, 'assignee', new_assignee, 'notes', new_notes) AS after
     FROM detection_review_changes WHERE detection_id = $1 ORDER BY id`,
    [detectionId],
  );
}

/**
 * Changes a detection's review and records the change in its audit trail, in
 * one transaction; undefined when the detection does not exist. Changes of
 * one detection queue on its row lock, so each is audited against the one
 * before it and none is lost. A change that changes nothing is not recorded.
 */
export async function changeReview(ds: DataSource, detectionId: number, change: ReviewChange, by: string): Promise<Review | undefined> {
  return ds.transaction(async (tx) => {
    // NO KEY UPDATE: serialises review changes without blocking the foreign-key checks of the review tables.
    const detection = await selectFirst(tx, `SELECT id FROM pattern_detections WHERE id = $1 FOR NO KEY UPDATE`, [detectionId]);
    if (!detection) return undefined;
    const current = asReview(await selectFirst<ReviewRow>(tx, `SELECT ${REVIEW_COLUMNS} FROM detection_reviews WHERE detection_id = $1`, [detectionId]));
    const next = applyReviewChange(current, change);
    if (!next) return current;
    const [updated] = await selectRows<ReviewRow>(
      tx,
      `INSERT INTO detection_reviews (detection_id, status, assignee, notes, updated_at, updated_by) VALUES ($1, $2, $3, $4, now(), $5)
       ON CONFLICT (detection_id) DO UPDATE SET status = $2, assignee = $3, notes = $4, updated_at = now(), updated_by = $5
       RETURNING ${REVIEW_COLUMNS}`,
      [detectionId, next.status, next.assignee, next.notes, by],
    );
    await tx.query(
      `INSERT INTO detection_review_changes (detection_id, changed_by, old_status, new_status, old_assignee, new_assignee, old_notes, new_notes)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [detectionId, by, current.status, next.status, current.assignee, next.assignee, current.notes, next.notes],
    );
    return asReview(updated);
  });
}
