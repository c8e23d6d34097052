import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ClientBase } from "pg";
import { from as copyFrom } from "pg-copy-streams";

/** COPY … FROM STDIN in PostgreSQL's text format: backslash, tab, line breaks escaped (ids hold no other control character). */
export async function copyRows(db: ClientBase, sql: string, rows: readonly string[][]): Promise<void> {
  const escape = (v: string) => (/[\\\t\n\r]/.test(v) ? v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r") : v);
  const text = rows.map((r) => `${r.map(escape).join("\t")}\n`).join("");
  await pipeline(Readable.from([Buffer.from(text)]), db.query(copyFrom(sql)));
}
