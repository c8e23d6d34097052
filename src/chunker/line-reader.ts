import type { Readable } from "node:stream";

export interface LineBatch {
  /** Non-empty lines, without their line endings. */
  readonly lines: string[];
  /** Bytes consumed from the start of the stream, including line endings and skipped blank lines. */
  readonly bytes: number;
  /** The stream ended before maxLines lines. */
  readonly reachedEnd: boolean;
}

/**
 * Reads up to maxLines lines from a byte stream. A last line without a
 * newline counts when the stream ends. Destroys the stream when done.
 */
export async function readLines(stream: Readable, maxLines: number): Promise<LineBatch> {
  const lines: string[] = [];
  let bytes = 0;
  let carry: Buffer = Buffer.alloc(0);
  try {
    for await (const piece of stream) {
      const buf = carry.length > 0 ? Buffer.concat([carry, piece as Buffer]) : (piece as Buffer);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
        if (end > start) lines.push(buf.toString("utf8", start, end));
        bytes += nl + 1 - start;
        start = nl + 1;
        if (lines.length === maxLines) return { lines, bytes, reachedEnd: false };
      }
      carry = buf.subarray(start);
    }
    if (carry.length > 0) {
      const end = carry[carry.length - 1] === 13 ? carry.length - 1 : carry.length;
      if (end > 0) lines.push(carry.toString("utf8", 0, end));
      bytes += carry.length;
    }
    return { lines, bytes, reachedEnd: true };
  } finally {
    stream.destroy();
  }
}
