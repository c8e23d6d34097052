import { applyChunkRows } from "../state/apply-chunk";
import type { FiredDetection } from "../detection";
import type { PartitionRows } from "../ingest/apply-request";
import type { ConfigHistory, PatternRule, TransactionRule } from "../patterns";
import { PartitionAggregates, type PartitionWeights } from "../state/partition-aggregates";

const NO_ROWS: PartitionRows = { rows: [], customerRows: [] };
const NO_WEIGHTS: PartitionWeights = new Map();

/** One archived chunk as the partitions take it. */
export interface ReplayChunk {
  readonly seq: number;
  readonly key: string;
  /** Each partition's share; a partition without rows may be absent. */
  readonly byPartition: ReadonlyMap<number, PartitionRows>;
}

/** A detection a replay fired, with the chunk that fired it. */
export type ReplayedDetection = FiredDetection & { readonly seq: number; readonly chunk: string };

export interface ReplayOptions {
  readonly partitions: number;
  /** w(c,m) by partition, merchant and customer. */
  readonly weights: ReadonlyMap<number, PartitionWeights>;
  readonly weightsVersion: number;
  readonly rules: readonly PatternRule[];
  readonly transactionRules: readonly TransactionRule[];
}

/**
 * The merchant-state's partitions in memory, replayed from the first chunk
 * with the configuration versions of `history`, as a node applies chunks
 * (applyChunkRows). No store: nothing is committed, the detections are collected.
 */
export class Replay {
  readonly detections: ReplayedDetection[] = [];
  private readonly states: PartitionAggregates[];

  constructor(
    private readonly history: ConfigHistory,
    private readonly opts: ReplayOptions,
  ) {
    // Merchant and customer partitions, numbered as the nodes number them (src/partitioning.ts).
    this.states = Array.from(
      { length: 2 * opts.partitions },
      (_, p) => new PartitionAggregates(p, 0, 0, opts.weights.get(p) ?? NO_WEIGHTS, opts.weightsVersion),
    );
  }

  apply(chunk: ReplayChunk): void {
    const config = this.history.inForce(chunk.seq);
    const rules = { patterns: this.opts.rules, transactions: this.opts.transactionRules };
    for (const state of this.states) {
      // As PartitionHost.applyChunk: the version before is the one in force for the chunk the partition applied last.
      const before = this.history.at(state.appliedSeq);
      const fired = applyChunkRows(state, chunk.byPartition.get(state.partition) ?? NO_ROWS, config, before, rules);
      for (const d of fired) this.detections.push({ ...d, seq: chunk.seq, chunk: chunk.key });
      state.appliedSeq = chunk.seq;
    }
  }
}
