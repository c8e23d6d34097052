import type { Explanation } from "./patterns/explanation";

export type { Explanation };

/**
 * A pattern that fired, as committed: the chunk that fired it and when.
 * PatId1–3 fire for a customer at a merchant, each (patternId, customer,
 * merchant) at most once; PatId4–6 for a transaction, once per (patternId,
 * chunk, line), with the transaction's amount and line.
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
  /** The transaction's amount as written (PatId4–6; null for the others). */
  readonly amount: string | null;
  /** The transaction's line in its chunk object (PatId4–6; null for the others). */
  readonly line: number | null;
  /** The figures that made it fire (docs/rules.md); null for a detection committed before explanations were kept. */
  readonly explanation: Explanation | null;
}

/** A detection as a rule fires it, before the commit gives it its chunk and times; amount and line for a transaction rule. */
export type FiredDetection = Pick<Detection, "patternId" | "actionType" | "customer" | "merchant"> & {
  readonly amount?: string;
  readonly line?: number;
  readonly explanation: Explanation;
};
