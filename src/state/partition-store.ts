import type { Checkpoint, ChunkCommit, StoredPartitions } from "../storage/partition-store";

/** What a PartitionHost needs from storage: read partitions back, and commit to them fenced. */
export interface PartitionStore {
  read(partitions: readonly number[]): Promise<StoredPartitions>;
  /** The node that last committed to each partition (applied a chunk or checkpointed it). */
  lastCommitters(partitions: readonly number[]): Promise<Map<number, string>>;
  /** Commits a chunk's effect on some partitions atomically: fence, detections, and any checkpoint; FencedOutError if one moved. */
  commitChunk(commit: ChunkCommit): Promise<void>;
  /** Persists partitions' aggregates as of `seq`, if they are still at `seq`; FencedOutError otherwise. */
  checkpoint(checkpoint: Checkpoint, seq: number, committer: string): Promise<void>;
}
