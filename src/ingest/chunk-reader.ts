import { csvLine } from "../csv/write";
import { parseTransactions, type RejectedRow, type Transaction } from "../csv/transactions";
import { partitionOf } from "../partitioning";
import { CHUNK_PREFIX, QUARANTINE_PREFIX, type ObjectStore } from "../storage/object-store";

/** A chunk read, validated and split by partition, ready to apply. */
export interface PreparedChunk {
  readonly key: string;
  /** Rows of every partition, in file order; partitions without rows are absent. */
  readonly rowsByPartition: Map<number, Transaction[]>;
  readonly valid: number;
  readonly rejected: readonly RejectedRow[];
}

export async function readChunk(store: ObjectStore, key: string, partitions: number, maxRecordBytes: number): Promise<PreparedChunk> {
  const parsed = await parseTransactions(await store.read(key), maxRecordBytes);
  const rowsByPartition = new Map<number, Transaction[]>();
  for (const txn of parsed.valid) {
    const p = partitionOf(txn.merchant, partitions);
    let rows = rowsByPartition.get(p);
    if (!rows) rowsByPartition.set(p, (rows = []));
    rows.push(txn);
  }
  return { key, rowsByPartition, valid: parsed.valid.length, rejected: parsed.rejected };
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
