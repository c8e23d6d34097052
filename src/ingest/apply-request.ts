import type { Transaction } from "../csv/transactions";

/** What merchant-state.apply receives: one chunk's rows for some partitions (rows may be empty). */
export interface ApplyRequest {
  readonly seq: number;
  /** The chunk every listed partition must have applied last. */
  readonly prevSeq: number;
  readonly chunkKey: string;
  /** ISO time the chunk's processing started. */
  readonly yStartTime: string;
  /** How many importance loads the sender has seen; a partition loaded with fewer weights reloads. */
  readonly weightsVersion: number;
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly rows: readonly Transaction[] }>;
}

export interface ApplyResult {
  /** Partitions this call advanced to `seq`. */
  readonly applied: number[];
  /** Partitions that were already at or past `seq`. */
  readonly skipped: number[];
  readonly detections: number;
}
