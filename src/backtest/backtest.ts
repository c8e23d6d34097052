import type { DataSource } from "typeorm";
import { readChunk } from "../ingest/chunk-reader";
import { ALL_RULES, ConfigHistory, PATTERN_RULES, TRANSACTION_RULES } from "../patterns";
import { appliedChunks, type LedgerChunk } from "../storage/chunk-ledger";
import { readConfigVersions } from "../storage/config-versions";
import type { ObjectStore } from "../storage/object-store";
import { readWeights } from "../storage/partition-store";
import { BacktestRequestError, candidateEdit, candidateHistory } from "./candidate";
import { compareDetections, type PatternComparison } from "./compare";
import { Replay, type ReplayChunk, type ReplayedDetection } from "./replay";

/** What a backtest is asked: candidate settings, and the chunks to compare (ledger sequences; default all). */
export interface BacktestRequest {
  readonly candidate: unknown;
  readonly fromSeq?: number;
  readonly toSeq?: number;
}

/** Where a backtest reads from: the live database and bucket, read only. */
export interface BacktestSources {
  readonly db: DataSource;
  readonly store: ObjectStore;
  readonly partitions: number;
  readonly maxRecordBytes: number;
}

/** What a backtest reports: the chunks replayed and compared, and per pattern what the candidate changes. */
export interface BacktestReport {
  /** The chunks replayed: every applied chunk from the first up to the last compared. */
  readonly replayed: { readonly chunks: number; readonly firstSeq: number | null; readonly lastSeq: number | null };
  /** The chunks whose detections are compared (null: no chunk is archived in the range). */
  readonly compared: { readonly chunks: number; readonly fromSeq: number | null; readonly toSeq: number | null };
  readonly patterns: readonly PatternComparison[];
}

/** The report with every detection of both replays (the replayed chunks, compared or not). */
export interface BacktestOutcome {
  readonly report: BacktestReport;
  readonly live: readonly ReplayedDetection[];
  readonly candidate: readonly ReplayedDetection[];
}

/** A backtest checked and ready to run. */
export interface PreparedBacktest {
  readonly request: BacktestRequest;
  run(signal?: AbortSignal): Promise<BacktestOutcome>;
}

/**
 * Checks a backtest request against the recorded configuration (a bad
 * candidate or range: BacktestRequestError) and returns it ready to run:
 * two replays of the archived chunks from the first one, "as live" with the
 * version in force for each chunk, and "candidate" with the candidate applied
 * on top of that version; then the comparison of their detections in the
 * range. Nothing is written: the live tables and bucket are only read.
 */
export async function prepareBacktest(sources: BacktestSources, request: BacktestRequest): Promise<PreparedBacktest> {
  const { fromSeq, toSeq } = request;
  for (const [name, seq] of [
    ["from", fromSeq],
    ["to", toSeq],
  ] as const) {
    if (seq !== undefined && (!Number.isSafeInteger(seq) || seq < 1))
      throw new BacktestRequestError(`${name} must be a chunk sequence (an integer from 1 up), got ${seq}`);
  }
  if (fromSeq !== undefined && toSeq !== undefined && fromSeq > toSeq) throw new BacktestRequestError(`from (${fromSeq}) is after to (${toSeq})`);
  const edit = candidateEdit(request.candidate);
  const versions = await readConfigVersions(sources.db);
  if (versions.length === 0) throw new BacktestRequestError("no configuration version is recorded yet: nothing has run to compare with");
  const live = ConfigHistory.fromRows(versions);
  const candidate = candidateHistory(versions, edit);
  return { request, run: (signal) => replayAndCompare(sources, request, live, candidate, signal) };
}

async function replayAndCompare(
  sources: BacktestSources,
  request: BacktestRequest,
  liveHistory: ConfigHistory,
  candidateHistory: ConfigHistory,
  signal: AbortSignal | undefined,
): Promise<BacktestOutcome> {
  const fromSeq = request.fromSeq ?? 1;
  const toSeq = request.toSeq ?? Number.MAX_SAFE_INTEGER;
  const chunks = (await appliedChunks(sources.db)).filter((c) => c.seq <= toSeq);
  const ids = Array.from({ length: sources.partitions }, (_, p) => p);
  const { weights, version } = await readWeights(sources.db, ids);
  const options = { partitions: sources.partitions, weights, weightsVersion: version, rules: PATTERN_RULES, transactionRules: TRANSACTION_RULES };
  const live = new Replay(liveHistory, options);
  const candidate = new Replay(candidateHistory, options);
  // The next chunk is read while the current one is applied.
  let next = chunks.length > 0 ? prefetch(sources, chunks[0]) : undefined;
  for (let i = 0; i < chunks.length; i++) {
    const chunk = await next!;
    signal?.throwIfAborted();
    next = i + 1 < chunks.length ? prefetch(sources, chunks[i + 1]) : undefined;
    live.apply(chunk);
    candidate.apply(chunk);
  }
  const compared = chunks.filter((c) => c.seq >= fromSeq);
  const report: BacktestReport = {
    replayed: { chunks: chunks.length, firstSeq: chunks[0]?.seq ?? null, lastSeq: chunks.at(-1)?.seq ?? null },
    compared: { chunks: compared.length, fromSeq: compared[0]?.seq ?? null, toSeq: compared.at(-1)?.seq ?? null },
    patterns: compareDetections(ALL_RULES, live.detections, candidate.detections, { fromSeq, toSeq }),
  };
  return { report, live: live.detections, candidate: candidate.detections };
}

/** Starts reading a chunk; a failure surfaces when it is awaited, never as an unhandled rejection if it is not. */
function prefetch(sources: BacktestSources, chunk: LedgerChunk): Promise<ReplayChunk> {
  const reading = readReplayChunk(sources, chunk);
  reading.catch(() => undefined);
  return reading;
}

async function readReplayChunk(sources: BacktestSources, chunk: LedgerChunk): Promise<ReplayChunk> {
  try {
    const read = await readChunk(sources.store, chunk.key, sources.partitions, sources.maxRecordBytes);
    return { seq: chunk.seq, key: chunk.key, byPartition: read.byPartition };
  } catch (err) {
    throw new Error(`reading chunk ${chunk.seq} (${chunk.key}) for the backtest: ${(err as Error).message}`, { cause: err });
  }
}
