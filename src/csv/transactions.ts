import { Readable } from "node:stream";
import { amountProblem } from "../money";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord } from "./records";
import { CsvFormatError, locateColumns, unquote } from "./fields";

export const TRANSACTION_COLUMNS = ["step", "customer", "age", "gender", "zipcodeOri", "merchant", "zipMerchant", "category", "amount", "fraud"] as const;
type TransactionColumn = (typeof TRANSACTION_COLUMNS)[number];

/** The part of a valid transaction that the patterns read. */
export interface Transaction {
  readonly customer: string;
  readonly merchant: string;
  readonly gender: string;
  /** As written, in plain decimal notation: exact, and safe on the wire. */
  readonly amount: string;
}

export interface RejectedRow {
  readonly line: number;
  readonly reason: string;
  /** The record as written. */
  readonly text: string;
}

export interface ParsedTransactions {
  readonly valid: Transaction[];
  readonly rejected: RejectedRow[];
}

const NON_NEGATIVE_INTEGER = /^\d+$/;
// PostgreSQL cannot store NUL, and partition loading packs rows with \x1e / \x1f separators.
const CONTROL_CHARACTER = /[\u0000-\u0008\u000a-\u001f]/;
/** Ids are keys of PostgreSQL indexes, whose entries cannot exceed ~2.7 kB; a longer id would stall every commit. */
export const MAX_ID_BYTES = 256;

export type RowCheck = { txn: Transaction } | { reason: string };

/** SPEC.md validity of one data row, fields as they came from the CSV reader. */
export function checkTransaction(fields: readonly string[], col: Record<TransactionColumn, number>): RowCheck {
  if (fields.length !== TRANSACTION_COLUMNS.length) {
    return { reason: `expected ${TRANSACTION_COLUMNS.length} fields, got ${fields.length}` };
  }
  const step = unquote(fields[col.step].trim());
  if (!NON_NEGATIVE_INTEGER.test(step)) return { reason: `step is not an integer >= 0: "${step}"` };
  const customer = unquote(fields[col.customer].trim());
  if (customer === "") return { reason: "customer is empty" };
  const merchant = unquote(fields[col.merchant].trim());
  if (merchant === "") return { reason: "merchant is empty" };
  const amount = unquote(fields[col.amount].trim());
  const problem = amountProblem(amount);
  if (problem) return { reason: problem };
  const fraud = unquote(fields[col.fraud].trim());
  if (fraud !== "0" && fraud !== "1") return { reason: `fraud is not 0 or 1: "${fraud}"` };
  const gender = unquote(fields[col.gender].trim());
  if (CONTROL_CHARACTER.test(customer) || CONTROL_CHARACTER.test(merchant) || CONTROL_CHARACTER.test(gender)) {
    return { reason: "customer, merchant or gender contains a control character" };
  }
  const tooLong = idTooLong("customer", customer) ?? idTooLong("merchant", merchant) ?? idTooLong("gender", gender);
  if (tooLong) return { reason: tooLong };
  return { txn: { customer, merchant, gender, amount } };
}

function idTooLong(name: string, value: string): string | undefined {
  if (value.length > MAX_ID_BYTES / 4 && Buffer.byteLength(value) > MAX_ID_BYTES) return `${name} is longer than ${MAX_ID_BYTES} bytes`;
  return undefined;
}

/**
 * Reads a transactions chunk record by record; a record that cannot be parsed
 * is rejected like an invalid row. Throws CsvFormatError when the object has
 * no usable header.
 */
export async function parseTransactions(input: Readable | string, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): Promise<ParsedTransactions> {
  const valid: Transaction[] = [];
  const rejected: RejectedRow[] = [];
  let columns: Record<TransactionColumn, number> | undefined;
  await forEachRecord(typeof input === "string" ? Readable.from([Buffer.from(input)]) : input, maxRecordBytes, (record) => {
    if (!columns) {
      if (record.error !== undefined) throw new CsvFormatError(`not readable as CSV: header on line ${record.line}: ${record.error}`);
      columns = locateColumns(record.fields, TRANSACTION_COLUMNS);
      return;
    }
    const checked = record.error === undefined ? checkTransaction(record.fields, columns) : { reason: record.error };
    if ("txn" in checked) valid.push(checked.txn);
    else rejected.push({ line: record.line, reason: checked.reason, text: record.text });
  });
  if (!columns) throw new CsvFormatError("empty object: no header row");
  return { valid, rejected };
}
