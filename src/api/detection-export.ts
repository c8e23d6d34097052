import { Readable } from "node:stream";
import type { DataSource } from "typeorm";
import { csvLine } from "../csv/write";
import { DETECTION_FILE_HEADER, detectionCsvLine } from "../sinks/s3-detection-writer";
import { detectionBatches, type DetectionSelection } from "../storage/detection-query";

/** Rows read per query: about 150 kB of CSV, the most the export holds at once besides the stream's buffer. */
const EXPORT_BATCH = 1000;

/**
 * Every detection the filter selects, oldest first, as a CSV in the layout of
 * the S3 files. The stream reads the next batch only when the one before has
 * been taken, so a slow client slows the reading instead of filling memory.
 */
export function detectionCsv(ds: DataSource, filter: DetectionSelection): Readable {
  async function* lines(): AsyncGenerator<string> {
    yield `${csvLine(DETECTION_FILE_HEADER)}\n`;
    for await (const rows of detectionBatches(ds, filter, EXPORT_BATCH)) yield `${rows.map(detectionCsvLine).join("\n")}\n`;
  }
  // One batch in the stream's buffer: back-pressure reaches the database reads at once.
  return Readable.from(lines(), { objectMode: false, highWaterMark: 1 });
}

/** Whether an Accept header asks for CSV before JSON (by quality, then order); without either, or with any type first: JSON. */
export function acceptsCsvFirst(accept: string | undefined): boolean {
  const ranked = (accept ?? "")
    .split(",")
    .map((part, order) => {
      const [type, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
      const q = params.find((p) => p.startsWith("q="));
      return { type, quality: q === undefined ? 1 : Number(q.slice(2)) || 0, order };
    })
    .filter((m) => m.quality > 0 && ["text/csv", "application/json", "application/*", "*/*"].includes(m.type))
    .sort((a, b) => b.quality - a.quality || a.order - b.order);
  return ranked[0]?.type === "text/csv";
}
