import { Readable } from "node:stream";
import { amountProblem } from "../money";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord, type CsvRecord } from "./records";
import { CONTROL_CHARACTER, CsvFormatError, LineFields, locateColumns, unquote } from "./fields";

export const TRANSACTION_COLUMNS = ["step", "customer", "age", "gender", "zipcodeOri", "merchant", "zipMerchant", "category", "amount", "fraud"] as const;
type TransactionColumn = (typeof TRANSACTION_COLUMNS)[number];

/** The part of a valid transaction that the patterns read. */
export interface Transaction {
  readonly customer: string;
  readonly merchant: string;
  readonly gender: string;
  /** As written, in plain decimal notation: exact, and safe on the wire. */
  readonly amount: string;
  /** As written: not validated (SPEC.md sets no rule for it), so it may hold anything a CSV field can. */
  readonly category: string;
  /** Where the record starts in its chunk object (the header is line 1). */
  readonly line: number;
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
/** Ids are keys of PostgreSQL indexes, whose entries cannot exceed ~2.7 kB; a longer id would stall every commit. */
export const MAX_ID_BYTES = 256;

export type RowCheck = { txn: Transaction } | { reason: string };

/** SPEC.md validity of one data row, fields as they came from the CSV reader. */
export function checkTransaction(fields: readonly string[], col: Record<TransactionColumn, number>, line: number): RowCheck {
  const checked = readFields(fields, col, line);
  return typeof checked === "string" ? { reason: checked } : { txn: checked };
}

function readFields(fields: readonly string[], col: Record<TransactionColumn, number>, line: number): Transaction | string {
  return readRow(fields.length, (index) => unquote(fields[index].trim()), col, line);
}

/** checkTransaction over a row of count fields, value giving each one trimmed and unquoted: the transaction or why not. */
function readRow(count: number, value: (index: number) => string, col: Record<TransactionColumn, number>, line: number): Transaction | string {
  if (count !== TRANSACTION_COLUMNS.length) return `expected ${TRANSACTION_COLUMNS.length} fields, got ${count}`;
  const step = value(col.step);
  if (!NON_NEGATIVE_INTEGER.test(step)) return `step is not an integer >= 0: "${step}"`;
  const customer = value(col.customer);
  if (customer === "") return "customer is empty";
  const merchant = value(col.merchant);
  if (merchant === "") return "merchant is empty";
  const amount = value(col.amount);
  const problem = amountProblem(amount);
  if (problem) return problem;
  const fraud = value(col.fraud);
  if (fraud !== "0" && fraud !== "1") return `fraud is not 0 or 1: "${fraud}"`;
  const gender = value(col.gender);
  if (CONTROL_CHARACTER.test(customer) || CONTROL_CHARACTER.test(merchant) || CONTROL_CHARACTER.test(gender)) {
    return "customer, merchant or gender contains a control character";
  }
  return (
    idTooLong("customer", customer) ??
    idTooLong("merchant", merchant) ??
    idTooLong("gender", gender) ?? { customer, merchant, gender, amount, category: value(col.category), line }
  );
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
  const collect = (line: number, text: string, checked: Transaction | string): void => {
    if (typeof checked === "string") rejected.push({ line, reason: checked, text });
    else valid.push(checked);
  };
  const onRecord = (record: CsvRecord): void => {
    if (columns) collect(record.line, record.text, record.error === undefined ? readFields(record.fields, columns, record.line) : record.error);
    else if (record.error !== undefined) throw new CsvFormatError(`not readable as CSV: header on line ${record.line}: ${record.error}`);
    else columns = locateColumns(record.fields, TRANSACTION_COLUMNS);
  };
  // The common record, one line without a double quote, is read in place.
  const row = new LineFields();
  const value = (index: number): string => row.value(index);
  const onPlain = (text: string, line: number): void => {
    if (columns) collect(line, text, readRow(row.read(text).count, value, columns, line));
    else columns = locateColumns(text.split(","), TRANSACTION_COLUMNS);
  };
  await forEachRecord(typeof input === "string" ? Readable.from([Buffer.from(input)]) : input, maxRecordBytes, onRecord, onPlain);
  if (!columns) throw new CsvFormatError("empty object: no header row");
  return { valid, rejected };
}
