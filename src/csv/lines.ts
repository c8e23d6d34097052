import type { Readable } from "node:stream";

/**
 * Calls onLine for every line of a byte stream (line endings \n or \r\n
 * removed; `bytes` counts them), decoding whole pieces at a time. Stops early,
 * destroying the stream, when onLine returns false. Returns whether the
 * stream was read to its end.
 */
export async function forEachLine(stream: Readable, onLine: (text: string, bytes: number) => boolean | void): Promise<boolean> {
  let carry: Buffer = Buffer.alloc(0);
  const emit = (raw: string): boolean => {
    const bytes = Buffer.byteLength(raw) + 1;
    return onLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw, bytes) !== false;
  };
  try {
    for await (const piece of stream) {
      const buf = carry.length > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
      const lastNewline = buf.lastIndexOf(10);
      if (lastNewline === -1) {
        carry = buf;
        continue;
      }
      // A newline byte never occurs inside a multi-byte UTF-8 character, so decoding up to it is safe.
      const lines = buf.toString("utf8", 0, lastNewline).split("\n");
      carry = buf.subarray(lastNewline + 1);
      for (const raw of lines) if (!emit(raw)) return false;
    }
    if (carry.length > 0) {
      const raw = carry.toString("utf8");
      onLine(raw.endsWith("\r") ? raw.slice(0, -1) : raw, carry.length);
    }
    return true;
  } finally {
    stream.destroy();
  }
}

/**
 * Splits one CSV line into fields. Double quotes follow RFC 4180 ("" inside a
 * quoted field is a quote); a quote inside an unquoted field is kept as is.
 * Returns null when a quoted field is not closed on the line.
 */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34) {
      let value = "";
      let from = i + 1;
      for (;;) {
        const close = line.indexOf('"', from);
        if (close === -1) return null;
        value += line.slice(from, close);
        if (line.charCodeAt(close + 1) === 34) {
          value += '"';
          from = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      const comma = line.indexOf(",", i);
      // anything between the closing quote and the comma is kept, as lenient readers do
      value += line.slice(i, comma === -1 ? line.length : comma);
      fields.push(value);
      if (comma === -1) return fields;
      i = comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      fields.push(line.slice(i, comma === -1 ? line.length : comma));
      if (comma === -1) return fields;
      i = comma + 1;
    }
  }
}
