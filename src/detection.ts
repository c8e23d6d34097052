/**
 * A pattern that fired for a customer at a merchant, as committed: the chunk
 * that fired it and when. (patternId, customer, merchant) fires at most once.
 * The database's lower-case columns (entities/, src/storage/) and the S3 CSV
 * header (src/sinks/s3-detection-writer.ts) map to and from it at the edges.
 */
export interface Detection {
  /** The outbox row's id, in commit order. */
  readonly id: number;
  readonly patternId: string;
  readonly actionType: string;
  readonly customer: string;
  readonly merchant: string;
  /** The key of the chunk that fired it. */
  readonly chunk: string;
  /** When the processing of the chunk that fired it started. */
  readonly yStartTime: Date;
  readonly detectionTime: Date;
}

/** A detection as a rule fires it, before the commit gives it its chunk and times. */
export type FiredDetection = Pick<Detection, "patternId" | "actionType" | "customer" | "merchant">;
