import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { CsvFormatError } from "./fields";

export interface CsvRecord {
  readonly fields: string[];
  /** 1-based line number in the object where the record starts. */
  readonly line: number;
}

/**
 * Streams CSV records with their line numbers. Quotes are RFC 4180 double
 * quotes; single-quoted fields come through verbatim and are unquoted by the
 * caller. A structural error (unclosed quote) becomes a CsvFormatError.
 */
export async function* csvRecords(input: Readable | string): AsyncGenerator<CsvRecord> {
  const source = typeof input === "string" ? Readable.from([input]) : input;
  const parser = parse({ bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true });
  source.on("error", (err) => parser.destroy(err));
  source.pipe(parser);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { fields: record, line: info.lines };
    }
  } catch (err) {
    if (isCsvParseError(err)) throw new CsvFormatError(`not readable as CSV: ${(err as Error).message}`);
    throw err;
  } finally {
    source.unpipe(parser);
    if (!source.destroyed) source.destroy();
  }
}

function isCsvParseError(err: unknown): boolean {
  return (
    typeof err === "object" && err !== null && typeof (err as { code?: unknown }).code === "string" && String((err as { code: string }).code).startsWith("CSV_")
  );
}
