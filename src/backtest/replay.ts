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
 * (PartitionHost.applyChunk): each partition judges its customers' rows, then
 * applies its merchants' rows; the rules a version disables are left out, and
 * a chunk whose version differs from the previous chunk's re-evaluates every
 * pattern. No store: nothing is committed, the detections are collected.
 */
export class Replay {
  readonly detections: ReplayedDetection[] = [];
  private readonly states: PartitionAggregates[];
  private previousSeq: number | undefined;

  constructor(
    private readonly history: ConfigHistory,
    private readonly opts: ReplayOptions,
  ) {
    this.states = Array.from({ length: opts.partitions }, (_, p) => new PartitionAggregates(p, 0, 0, opts.weights.get(p) ?? NO_WEIGHTS, opts.weightsVersion));
  }

  apply(chunk: ReplayChunk): void {
    const config = this.history.inForce(chunk.seq);
    const before = this.previousSeq === undefined ? undefined : this.history.at(this.previousSeq);
    const reevaluateAll = before !== undefined && before.version !== config.version;
    const { disabledPatterns } = config.thresholds;
    const on = <R extends { patternId: string }>(rules: readonly R[]) => rules.filter((r) => !disabledPatterns.includes(r.patternId));
    const transactionRules = on(this.opts.transactionRules);
    const rules = on(this.opts.rules);
    for (const state of this.states) {
      const rows = chunk.byPartition.get(state.partition) ?? NO_ROWS;
      const fired = [
        ...state.judge(rows.customerRows, transactionRules, config.thresholds),
        ...state.apply(rows.rows, rules, config.thresholds, reevaluateAll),
      ];
      for (const d of fired) this.detections.push({ ...d, seq: chunk.seq, chunk: chunk.key });
      state.appliedSeq = chunk.seq;
    }
    this.previousSeq = chunk.seq;
  }
}
