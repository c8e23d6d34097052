import type { Transaction } from "../csv/transactions";

/** One partition's share of a chunk, each in file order: the rows of the merchants that hash to it, and of the customers that do. */
export interface PartitionRows {
  readonly rows: readonly Transaction[];
  readonly customerRows: readonly Transaction[];
}

/** What merchant-state.apply receives: one chunk's rows for some partitions (either list may be empty). */
export interface ApplyRequest {
  readonly seq: number;
  /** The chunk every listed partition must have applied last. */
  readonly prevSeq: number;
  readonly chunkKey: string;
  /** ISO time the chunk's processing started. */
  readonly yStartTime: string;
  /** How many importance loads the sender has seen; a partition loaded with fewer weights reloads. */
  readonly weightsVersion: number;
  readonly partitions: ReadonlyArray<PartitionRows & { readonly partition: number }>;
}

export interface ApplyResult {
  /** Partitions this call advanced to `seq`. */
  readonly applied: number[];
  /** Partitions that were already at or past `seq`. */
  readonly skipped: number[];
  readonly detections: number;
  /** The detections this call committed, per pattern id. */
  readonly byPattern: Readonly<Record<string, number>>;
}
