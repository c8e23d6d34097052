import { Readable } from "node:stream";
import { csvRecords } from "./csv-stream";
import { locateColumns, unquote } from "./fields";

export const IMPORTANCE_COLUMNS = ["Source", "Target", "Weight"] as const;

export interface PairWeight {
  readonly customer: string;
  readonly merchant: string;
  /** Mean Weight over all rows of the pair, summed in file order. */
  readonly weight: number;
}

export interface ImportanceSummary {
  readonly weights: PairWeight[];
  readonly rows: number;
  readonly skipped: number;
}

/** The weight of a customer for a merchant is the mean Weight over the pair's rows (SPEC.md). */
export async function readPairWeights(input: Readable | string): Promise<ImportanceSummary> {
  const sums = new Map<string, { customer: string; merchant: string; sum: number; count: number }>();
  let columns: Record<(typeof IMPORTANCE_COLUMNS)[number], number> | undefined;
  let rows = 0;
  let skipped = 0;
  for await (const { fields } of csvRecords(input)) {
    if (!columns) {
      columns = locateColumns(fields, IMPORTANCE_COLUMNS);
      continue;
    }
    rows++;
    const customer = unquote((fields[columns.Source] ?? "").trim());
    const merchant = unquote((fields[columns.Target] ?? "").trim());
    const weightText = unquote((fields[columns.Weight] ?? "").trim());
    const weight = weightText === "" ? NaN : Number(weightText);
    if (customer === "" || merchant === "" || !Number.isFinite(weight) || `${customer}${merchant}`.includes("\u0000")) {
      skipped++;
      continue;
    }
    const key = `${merchant}\u0000${customer}`;
    const entry = sums.get(key);
    if (entry) {
      entry.sum += weight;
      entry.count++;
    } else sums.set(key, { customer, merchant, sum: weight, count: 1 });
  }
  const weights = [...sums.values()].map((e) => ({ customer: e.customer, merchant: e.merchant, weight: e.sum / e.count }));
  return { weights, rows, skipped };
}
