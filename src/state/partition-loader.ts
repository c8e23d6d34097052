import { ConfigHistory } from "../patterns";
import type { ChunkRef } from "../storage/partition-store";
import { PartitionAggregates } from "./partition-aggregates";
import type { PartitionStore } from "./partition-store";

export interface LoadedPartitions {
  /** Each partition's aggregates as of its checkpoint. */
  readonly aggregates: Map<number, PartitionAggregates>;
  /** How far each partition has applied: its aggregates must replay the applied chunks after its checkpoint up to here. */
  readonly appliedSeq: Map<number, number>;
  /** The chunks some partition must replay, in order. */
  readonly replay: readonly ChunkRef[];
  /** The configuration versions, covering every chunk the partitions have applied. */
  readonly history: ConfigHistory;
  /** Time reading from the store, then rebuilding the aggregates, and the checkpoint entries read (a pair may have several). */
  readonly readMs: number;
  readonly restoreMs: number;
  readonly checkpointEntries: number;
}

/** Rebuilds partitions' aggregates as of their checkpoints from what the store read. */
export async function loadPartitions(store: Pick<PartitionStore, "read">, partitions: readonly number[]): Promise<LoadedPartitions> {
  const started = performance.now();
  const stored = await store.read(partitions);
  const read = performance.now();
  const { weights } = stored;
  const aggregates = new Map<number, PartitionAggregates>();
  for (const { partition, checkpointSeq } of stored.partitions) {
    const byMerchant = weights.get(partition) ?? new Map<string, Map<string, number>>();
    aggregates.set(partition, new PartitionAggregates(partition, checkpointSeq, checkpointSeq, byMerchant, stored.weightsVersion));
  }
  const missing = partitions.filter((p) => !aggregates.has(p));
  if (missing.length > 0) throw new Error(`partition_state has no row for partition(s) ${missing.join(", ")}`);
  for (const pair of stored.pairs) aggregates.get(pair.partition)!.merchant(pair.merchant).restore(pair.customer, pair.n, pair.amount, pair.gender);
  for (const h of stored.histories) aggregates.get(h.partition)!.history(h.customer).restore(h.n, h.sum, h.sumSquares);
  for (const [partition, pairs] of stored.loggedPairs) {
    const state = aggregates.get(partition);
    if (state) state.loggedPairs = pairs;
  }
  for (const d of stored.emitted) aggregates.get(d.partition)!.markEmitted(d.patternId, d.merchant, d.customer);
  const appliedSeq = new Map(stored.partitions.map((p) => [p.partition, p.appliedSeq]));
  return {
    aggregates,
    appliedSeq,
    replay: stored.replay,
    history: ConfigHistory.fromRows(stored.configVersions),
    readMs: read - started,
    restoreMs: performance.now() - read,
    checkpointEntries: stored.pairs.length + stored.histories.length,
  };
}
