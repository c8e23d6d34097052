import type { Readable } from "node:stream";
import { forEachLine } from "../csv/lines";

export interface LineBatch {
  /** Non-empty lines, without their line endings. */
  readonly lines: string[];
  /** Bytes consumed from the start of the stream, including line endings and skipped blank lines. */
  readonly bytes: number;
  /** The stream ended before maxLines lines. */
  readonly reachedEnd: boolean;
}

/** Reads up to maxLines non-empty lines; a last line without a newline counts when the stream ends. */
export async function readLines(stream: Readable, maxLines: number): Promise<LineBatch> {
  const lines: string[] = [];
  let bytes = 0;
  const reachedEnd = await forEachLine(stream, (text, lineBytes) => {
    bytes += lineBytes;
    if (text !== "") lines.push(text);
    return lines.length < maxLines;
  });
  return { lines, bytes, reachedEnd };
}
