import { csvLine } from "../csv/write";
import { parseTransactions, type RejectedRow, type Transaction } from "../csv/transactions";
import { customerPartitionOf, partitionOf } from "../partitioning";
import { CHUNK_PREFIX, QUARANTINE_PREFIX, type ObjectStore } from "../storage/object-store";

/** A chunk read, validated and split by partition, ready to apply. */
export interface PreparedChunk {
  readonly key: string;
  /** What each partition takes of it: a merchant partition its merchants' rows, a customer partition its customers'; partitions without rows are absent. */
  readonly byPartition: Map<number, { rows: Transaction[]; customerRows: Transaction[] }>;
  readonly valid: number;
  readonly rejected: readonly RejectedRow[];
}

export async function readChunk(store: ObjectStore, key: string, partitions: number, maxRecordBytes: number): Promise<PreparedChunk> {
  const parsed = await parseTransactions(await store.read(key), maxRecordBytes);
  return { key, byPartition: splitByPartition(parsed.valid, partitions), valid: parsed.valid.length, rejected: parsed.rejected };
}

/** A chunk's valid rows, in file order, for every partition: its merchant partition's `rows`, its customer partition's `customerRows`. */
export function splitByPartition(valid: readonly Transaction[], partitions: number): Map<number, { rows: Transaction[]; customerRows: Transaction[] }> {
  // Indexed by partition while rows are placed: two array slots per row instead of two map lookups.
  const shares = new Array<{ rows: Transaction[]; customerRows: Transaction[] } | undefined>(2 * partitions);
  for (const txn of valid) {
    (shares[partitionOf(txn.merchant, partitions)] ??= { rows: [], customerRows: [] }).rows.push(txn);
    (shares[customerPartitionOf(txn.customer, partitions)] ??= { rows: [], customerRows: [] }).customerRows.push(txn);
  }
  const byPartition = new Map<number, { rows: Transaction[]; customerRows: Transaction[] }>();
  shares.forEach((share, partition) => byPartition.set(partition, share!));
  return byPartition;
}

/** quarantine/ mirrors transaction-chunks/: one object per chunk that had bad rows. */
export function quarantineKey(chunkKey: string): string {
  const relative = chunkKey.startsWith(CHUNK_PREFIX) ? chunkKey.slice(CHUNK_PREFIX.length) : chunkKey;
  return `${QUARANTINE_PREFIX}${relative.replace(/\.csv$/i, "")}.csv`;
}

export function renderQuarantine(chunkKey: string, rejected: readonly RejectedRow[]): string {
  const lines = [csvLine(["chunk", "line", "reason", "row"])];
  for (const r of rejected) lines.push(csvLine([chunkKey, r.line, r.reason, r.text]));
  return `${lines.join("\n")}\n`;
}
