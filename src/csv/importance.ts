import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { CONTROL_CHARACTER, CsvFormatError, LineFields, locateColumns, unquote } from "./fields";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord, type CsvRecord } from "./records";

export const IMPORTANCE_COLUMNS = ["Source", "Target", "Weight"] as const;

type ImportanceColumns = Record<(typeof IMPORTANCE_COLUMNS)[number], number>;

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
  /** SHA-256 of the bytes read, hex: names the file's content. */
  readonly sha256: string;
}

/**
 * Streams CustomerImportance.csv (bsNET layout, RFC 4180 records) in batches,
 * reading on only once the previous batch is taken, so memory stays flat
 * however large the file. Records that cannot be parsed, and rows without a
 * customer, merchant or numeric weight, are skipped and counted. The bytes are
 * hashed as they are read.
 */
export async function readImportance(input: Readable, batchSize: number, onBatch: (rows: ImportanceRow[]) => Promise<void>): Promise<ImportanceSummary> {
  const hash = createHash("sha256");
  let columns: ImportanceColumns | undefined;
  let rows = 0;
  let skipped = 0;
  let batch: ImportanceRow[] = [];
  const full: ImportanceRow[][] = [];
  const deliver = async (): Promise<void> => {
    for (let next = full.shift(); next; next = full.shift()) await onBatch(next);
  };
  async function* pieces(): AsyncGenerator<Buffer> {
    for await (const piece of input) {
      await deliver();
      hash.update(piece as Buffer);
      yield piece as Buffer;
    }
  }
  const collect = (row: ImportanceRow | undefined): void => {
    rows++;
    if (!row) {
      skipped++;
      return;
    }
    batch.push(row);
    if (batch.length >= batchSize) {
      full.push(batch);
      batch = [];
    }
  };
  const onRecord = (record: CsvRecord): void => {
    if (columns) collect(record.error === undefined ? readFields(record.fields, record.line, columns) : undefined);
    else if (record.error !== undefined) throw new CsvFormatError(`header on line ${record.line}: ${record.error}`);
    else columns = locateColumns(record.fields, IMPORTANCE_COLUMNS);
  };
  // The common record, one line without a double quote, is read in place.
  const row = new LineFields();
  const value = (index: number): string => (index < row.count ? row.value(index) : "");
  const onPlain = (text: string, line: number): void => {
    if (!columns) {
      columns = locateColumns(text.split(","), IMPORTANCE_COLUMNS);
      return;
    }
    row.read(text);
    collect(importanceRow(value, line, columns));
  };
  await forEachRecord(Readable.from(pieces(), { objectMode: false, highWaterMark: 1 }), DEFAULT_MAX_RECORD_BYTES, onRecord, onPlain);
  if (batch.length > 0) full.push(batch);
  await deliver();
  return { rows, skipped, sha256: hash.digest("hex") };
}

function readFields(fields: readonly string[], line: number, columns: ImportanceColumns): ImportanceRow | undefined {
  return importanceRow((index) => unquote((fields[index] ?? "").trim()), line, columns);
}

/** A usable row from value, which gives each field trimmed and unquoted ("" past the last), or undefined. */
function importanceRow(value: (index: number) => string, line: number, columns: ImportanceColumns): ImportanceRow | undefined {
  const customer = value(columns.Source);
  const merchant = value(columns.Target);
  const weightText = value(columns.Weight);
  const weight = weightText === "" ? NaN : Number(weightText);
  if (customer === "" || merchant === "" || !Number.isFinite(weight) || CONTROL_CHARACTER.test(customer) || CONTROL_CHARACTER.test(merchant)) return undefined;
  return { line, customer, merchant, weight };
}

export interface MeanWeights extends ImportanceSummary {
  /** w(c,m) by merchant, then customer. */
  readonly weights: Map<string, Map<string, number>>;
  readonly pairs: number;
}

/**
 * The weight of every (customer, merchant) of CustomerImportance.csv: the
 * mean of its rows' weights, summed in file order (a sequential sum, so the
 * double is the one SPEC.md's definition gives). Memory grows with the
 * pairs, not the rows.
 */
export async function readMeanWeights(input: Readable): Promise<MeanWeights> {
  const sums = new Map<string, Map<string, { sum: number; count: number }>>();
  const summary = await readImportance(input, 10_000, async (rows) => {
    for (const r of rows) {
      let byCustomer = sums.get(r.merchant);
      if (!byCustomer) sums.set(r.merchant, (byCustomer = new Map<string, { sum: number; count: number }>()));
      const acc = byCustomer.get(r.customer);
      if (acc) {
        acc.sum += r.weight;
        acc.count++;
      } else byCustomer.set(r.customer, { sum: r.weight, count: 1 });
    }
  });
  const weights = new Map<string, Map<string, number>>();
  let pairs = 0;
  for (const [merchant, byCustomer] of sums) {
    const means = new Map<string, number>();
    for (const [customer, { sum, count }] of byCustomer) means.set(customer, sum / count);
    weights.set(merchant, means);
    sums.delete(merchant);
    pairs += means.size;
  }
  return { ...summary, weights, pairs };
}
