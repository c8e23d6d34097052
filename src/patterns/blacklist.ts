import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import type { S3Settings } from "../config";
import { CONTROL_CHARACTER, locateColumns, printable, unquote } from "../csv/fields";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord } from "../csv/records";
import { MAX_ID_BYTES } from "../csv/transactions";
import { createS3Client, ObjectStore, parseS3Url } from "../storage/object-store";

/** PatId5's blacklist: customer or merchant id → reason ("" when none is given). */
export type Blacklist = ReadonlyMap<string, string>;

/**
 * Reads a blacklist CSV (header with an `id` column, `reason` optional; quotes
 * as in SPEC.md's Inputs) with the project's record reader, so it quotes
 * exactly as the transactions do. Async because that reader consumes a
 * stream. A duplicate id keeps the last reason. Throws, naming the source and
 * the line, on a missing header, an unreadable record, a row of the wrong
 * width, or an id that is empty, holds a control character or is longer than
 * MAX_ID_BYTES.
 */
export async function parseBlacklist(text: string, source: string): Promise<Blacklist> {
  const entries = new Map<string, string>();
  let columns: { id: number; reason: number; count: number } | undefined;
  const fail = (line: number, problem: string): never => {
    throw new Error(`blacklist ${source} line ${line}: ${problem}`);
  };
  await forEachRecord(Readable.from([Buffer.from(text)]), DEFAULT_MAX_RECORD_BYTES, (record) => {
    if (record.error !== undefined) return fail(record.line, record.error);
    if (!columns) {
      let id = 0;
      try {
        ({ id } = locateColumns(record.fields, ["id"]));
      } catch (err) {
        fail(record.line, (err as Error).message);
      }
      const reason = record.fields.findIndex((name) => unquote(name.trim()) === "reason");
      columns = { id, reason, count: record.fields.length };
      return;
    }
    if (record.fields.length !== columns.count) fail(record.line, `expected ${columns.count} fields, got ${record.fields.length}`);
    const value = (index: number): string => (index < 0 ? "" : unquote(record.fields[index].trim()));
    const id = value(columns.id);
    const problem = blacklistIdProblem(id);
    if (problem) fail(record.line, problem);
    entries.set(id, value(columns.reason));
  });
  if (!columns) throw new Error(`blacklist ${source}: no header (expected id,reason)`);
  return entries;
}

/** Why `id` cannot be on the blacklist (ids are validated like a transaction's), or undefined. */
export function blacklistIdProblem(id: string): string | undefined {
  if (id === "") return "empty id";
  if (CONTROL_CHARACTER.test(id)) return `id contains a control character: "${printable(id)}"`;
  if (Buffer.byteLength(id) > MAX_ID_BYTES) return `id is longer than ${MAX_ID_BYTES} bytes`;
  return undefined;
}

/** The blacklist at a local path or s3://bucket/key. Errors name the location. */
export async function readBlacklist(location: string, s3: S3Settings & { endpoint: string }): Promise<Blacklist> {
  let text: string;
  try {
    text = await readText(location, s3);
  } catch (err) {
    const { name, message } = err as Error;
    // fs errors start their message with their code; S3 ones name the code only in `name` (NoSuchKey, NoSuchBucket).
    const problem = name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message;
    throw new Error(`blacklist ${location}: ${problem}`, { cause: err });
  }
  return parseBlacklist(text, location);
}

async function readText(location: string, s3: S3Settings & { endpoint: string }): Promise<string> {
  if (!location.startsWith("s3://")) return readFile(location, "utf8");
  const url = parseS3Url(location);
  if (!url) throw new Error("expected s3://bucket/key");
  const client = createS3Client(s3);
  try {
    return await new ObjectStore(client, url.bucket).readText(url.key);
  } finally {
    client.destroy();
  }
}
