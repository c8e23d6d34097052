import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readMeanWeights } from "../csv/importance";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord } from "../csv/records";
import { CsvFormatError, locateColumns } from "../csv/fields";
import { checkTransaction, TRANSACTION_COLUMNS, type Transaction } from "../csv/transactions";
import { splitByPartition } from "../ingest/chunk-reader";
import { partitionOf } from "../partitioning";
import type { ConfigVersion, PatternRule, PatternThresholds, TransactionRule } from "../patterns";
import { applyChunkRows } from "../state/apply-chunk";
import type { WeightsByPartition } from "../storage/partition-store";
import type { PartitionAggregates } from "../state/partition-aggregates";
import { loadPartitions } from "../state/partition-loader";
import type { PartitionStore } from "../state/partition-store";

export interface StateApplyOptions {
  readonly source: string;
  readonly importance: string;
  readonly partitions: number;
  readonly chunkRows: number;
  readonly rules: readonly PatternRule[];
  readonly transactionRules: readonly TransactionRule[];
  readonly thresholds: PatternThresholds;
}

export interface StateApplyResult {
  readonly rows: number;
  readonly chunks: number;
  /** CPU seconds (user + system) spent applying rows and judging them (applyChunkRows), parsing and routing excluded. */
  readonly applyCpuSeconds: number;
  readonly detectionsByPattern: ReadonlyMap<string, number>;
  /** Digest of every detection with the chunk that emitted it: equal digests, equal detections. */
  readonly fingerprint: string;
}

/**
 * Drives the merchant-state's in-memory aggregates as a node does, without
 * PostgreSQL, S3 or the broker: loads the importance data into partitions,
 * then applies the source chunk by chunk and times only the applying.
 */
export async function benchStateApply(opts: StateApplyOptions): Promise<StateApplyResult> {
  const state = await emptyPartitions(opts.partitions, await weightsOf(opts.importance, opts.partitions));
  const detections = new Map<string, number>();
  const digest = createHash("sha256");
  let cpuMicros = 0;
  let rows = 0;
  let chunks = 0;
  let pending: Transaction[] = [];

  // Every chunk with one configuration, as a node applies it with the version in force (no version change).
  const version: ConfigVersion = { version: 1, fromSeq: 1, thresholds: opts.thresholds };
  const rules = { patterns: opts.rules, transactions: opts.transactionRules };
  const applyChunk = (): void => {
    const byPartition = splitByPartition(pending, opts.partitions);
    const started = process.cpuUsage();
    const fired = [...byPartition].flatMap(([p, rows]) => applyChunkRows(state.get(p)!, rows, version, version, rules));
    const spent = process.cpuUsage(started);
    cpuMicros += spent.user + spent.system;
    for (const d of fired.map((f) => `${chunks}|${f.patternId}|${f.customer}|${f.merchant}|${f.line ?? ""}`).sort()) {
      digest.update(`${d}\n`);
      const pattern = d.split("|")[1];
      detections.set(pattern, (detections.get(pattern) ?? 0) + 1);
    }
    rows += pending.length;
    chunks++;
    pending = [];
  };

  let columns: ReturnType<typeof locateColumns<(typeof TRANSACTION_COLUMNS)[number]>> | undefined;
  // A chunk is chunkRows records, bad ones included, as the chunker cuts them.
  let records = 0;
  await forEachRecord(createReadStream(opts.source), DEFAULT_MAX_RECORD_BYTES, (record) => {
    if (!columns) {
      if (record.error !== undefined) throw new CsvFormatError(`${opts.source}: header on line ${record.line}: ${record.error}`);
      columns = locateColumns(record.fields, TRANSACTION_COLUMNS);
      return;
    }
    if (record.error === undefined) {
      const checked = checkTransaction(record.fields, columns, record.line);
      if ("txn" in checked) pending.push(checked.txn);
    }
    if (++records === opts.chunkRows) {
      applyChunk();
      records = 0;
    }
  });
  if (records > 0) applyChunk();
  return { rows, chunks, applyCpuSeconds: cpuMicros / 1e6, detectionsByPattern: detections, fingerprint: digest.digest("hex").slice(0, 16) };
}

/** w(c,m) as the importance loader computes it (readMeanWeights), grouped by partition. */
async function weightsOf(importance: string, partitions: number): Promise<WeightsByPartition> {
  const { weights: byMerchant } = await readMeanWeights(createReadStream(importance));
  const weights: WeightsByPartition = new Map();
  for (const [merchant, byCustomer] of byMerchant) {
    const p = partitionOf(merchant, partitions);
    let inPartition = weights.get(p);
    if (!inPartition) weights.set(p, (inPartition = new Map<string, Map<string, number>>()));
    inPartition.set(merchant, byCustomer);
  }
  return weights;
}

/** Partitions of both kinds (src/partitioning.ts) as nodes load them before their first chunk, through the same loader. */
async function emptyPartitions(partitions: number, weights: WeightsByPartition): Promise<Map<number, PartitionAggregates>> {
  const ids = Array.from({ length: 2 * partitions }, (_, p) => p);
  const store: Pick<PartitionStore, "read"> = {
    read: async () => ({
      weights,
      weightsVersion: 1,
      partitions: ids.map((partition) => ({ partition, appliedSeq: 0, checkpointSeq: 0 })),
      pairs: [],
      histories: [],
      loggedPairs: new Map(),
      emitted: [],
      replay: [],
      configVersions: [],
    }),
  };
  return (await loadPartitions(store, ids)).aggregates;
}
