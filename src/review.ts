/** Where an analyst's review of a detection stands. */
export const REVIEW_STATUSES = ["new", "reviewing", "confirmed", "dismissed"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export const MAX_ASSIGNEE_LENGTH = 200;
export const MAX_NOTES_LENGTH = 2000;

/** What a reviewer sets: the status, who works on it, notes (null: none). */
export interface ReviewFields {
  readonly status: ReviewStatus;
  readonly assignee: string | null;
  readonly notes: string | null;
}

/** A detection's current review; one never reviewed is new, never updated. */
export interface Review extends ReviewFields {
  readonly updatedAt: Date | null;
  /** The API key that made the last change. */
  readonly updatedBy: string | null;
}

export const UNREVIEWED: Review = { status: "new", assignee: null, notes: null, updatedAt: null, updatedBy: null };

/** A change asked for: only the fields given change. */
export type ReviewChange = Partial<ReviewFields>;

/** One entry of a detection's audit trail. */
export interface ReviewHistoryEntry {
  readonly at: Date;
  readonly by: string;
  readonly before: ReviewFields;
  readonly after: ReviewFields;
}

/** The review after a change; undefined when the change leaves it as it is. */
export function applyReviewChange(current: ReviewFields, change: ReviewChange): ReviewFields | undefined {
  const next: ReviewFields = {
    status: change.status ?? current.status,
    assignee: change.assignee !== undefined ? change.assignee : current.assignee,
    notes: change.notes !== undefined ? change.notes : current.notes,
  };
  return next.status === current.status && next.assignee === current.assignee && next.notes === current.notes ? undefined : next;
}
