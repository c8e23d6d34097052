import type { DataSource } from "typeorm";
import { ChunkLedger, type LedgerSummary } from "../storage/chunk-ledger";
import { countDetections } from "../storage/detection-query";
import { outboxCounts, S3BatchStore, type OutboxCounts } from "../storage/outbox";
import { DETECTION_PREFIX } from "../storage/object-store";
import { rejectedPacketsTotal } from "../storage/rejected-packets";
import { selectOne } from "../storage/sql";

export interface PipelineStats {
  readonly chunks: LedgerSummary;
  readonly chunksWritten: number;
  readonly sourceFinished: boolean;
  readonly detections: OutboxCounts;
  readonly inDatabase: Record<string, number>;
  readonly s3Files: number;
  /** The latest chunk objects that could not be read, with why. */
  readonly failedChunks: Array<{ key: string; error: string | null }>;
  /** Cluster packets the nodes dropped for failing authentication (no or another CLUSTER_SECRET, altered, replayed). */
  readonly rejectedPackets: number;
}

/** The chunker instances' progress, summed over them all. */
interface ChunkerProgressRow {
  readonly written: number;
  readonly finished: boolean;
}

/** Progress of the whole pipeline, from the durable state (so it is the same whichever node answers). */
export async function pipelineStats(ds: DataSource): Promise<PipelineStats> {
  const ledger = new ChunkLedger(ds);
  const stored = countDetections(ds);
  const [chunks, detections, inDatabase, s3Files, progress, failures, rejectedPackets] = await Promise.all([
    ledger.summary(),
    outboxCounts(ds, stored),
    stored,
    new S3BatchStore(ds, DETECTION_PREFIX).writtenCount(),
    selectOne<ChunkerProgressRow>(
      ds,
      `SELECT coalesce(sum(chunks_written), 0)::int AS written, coalesce(bool_and(finished), false) AS finished FROM chunker_progress`,
    ),
    ledger.failures(10),
    rejectedPacketsTotal(ds),
  ]);
  return {
    chunks,
    chunksWritten: progress.written,
    sourceFinished: progress.finished,
    detections,
    inDatabase,
    s3Files,
    failedChunks: failures.map((f) => ({ key: f.key, error: f.error })),
    rejectedPackets,
  };
}
