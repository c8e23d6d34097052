import type { Readable } from "node:stream";
import { csvRecords } from "./csv-stream";
import { locateColumns, unquote } from "./fields";

export const IMPORTANCE_COLUMNS = ["Source", "Target", "Weight"] as const;

/** One usable row of CustomerImportance.csv; `line` orders rows as in the file. */
export interface ImportanceRow {
  readonly line: number;
  readonly customer: string;
  readonly merchant: string;
  readonly weight: number;
}

export interface ImportanceSummary {
  readonly rows: number;
  readonly skipped: number;
}

/**
 * Streams CustomerImportance.csv (bsNET layout) in batches, so memory stays
 * flat however large the file; rows without a customer, merchant or numeric
 * weight are skipped and counted.
 */
export async function readImportance(input: Readable, batchSize: number, onBatch: (rows: ImportanceRow[]) => Promise<void>): Promise<ImportanceSummary> {
  let columns: Record<(typeof IMPORTANCE_COLUMNS)[number], number> | undefined;
  let rows = 0;
  let skipped = 0;
  let batch: ImportanceRow[] = [];
  for await (const { fields, line } of csvRecords(input)) {
    if (!columns) {
      columns = locateColumns(fields, IMPORTANCE_COLUMNS);
      continue;
    }
    rows++;
    const customer = unquote((fields[columns.Source] ?? "").trim());
    const merchant = unquote((fields[columns.Target] ?? "").trim());
    const weightText = unquote((fields[columns.Weight] ?? "").trim());
    const weight = weightText === "" ? NaN : Number(weightText);
    if (customer === "" || merchant === "" || !Number.isFinite(weight) || /[\u0000-\u0008\u000a-\u001f]/.test(`${customer}${merchant}`)) {
      skipped++;
      continue;
    }
    batch.push({ line, customer, merchant, weight });
    if (batch.length >= batchSize) {
      await onBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await onBatch(batch);
  return { rows, skipped };
}
