import { csvLine } from "../csv/write";
import type { ObjectStore } from "../storage/object-store";
import type { Detection } from "../detection";
import type { S3Batch, S3BatchStore } from "../storage/outbox";
import { sleep } from "../retry";
import { formatIst } from "../time";

export const DETECTION_FILE_HEADER = ["YStartTime", "detectionTime", "patternId", "ActionType", "customerName", "MerchantId", "chunk", "amount", "line"];
export const DETECTIONS_PER_FILE = 50;

/** A detection as its file row shows it: SPEC.md's fields; its explanation is in the database and the API. */
export type FileDetection = Omit<Detection, "explanation">;

/** A detection as a line of the S3 files (DETECTION_FILE_HEADER's columns), without the line break. */
export function detectionCsvLine(d: FileDetection): string {
  return csvLine([
    formatIst(d.yStartTime),
    formatIst(d.detectionTime),
    d.patternId,
    d.actionType,
    d.customer,
    d.merchant,
    d.chunk,
    d.amount ?? "",
    d.line ?? "",
  ]);
}

export function renderDetectionFile(rows: readonly FileDetection[]): string {
  return `${[csvLine(DETECTION_FILE_HEADER), ...rows.map(detectionCsvLine)].join("\n")}\n`;
}

/** Batches reserved per database transaction, and objects written at once. */
const BATCHES_PER_RESERVE = 64;
const CONCURRENT_WRITES = 8;

/**
 * Writes detections to S3 in files of DETECTIONS_PER_FILE: reserve batches,
 * write the objects named after them, mark them written. A crash between the
 * last two steps rewrites the same objects with the same bytes.
 */
export class S3DetectionWriter {
  constructor(
    private readonly batches: S3BatchStore,
    private readonly store: ObjectStore,
    /** Fault injection for crash tests: how long to wait between writing objects and recording them. */
    private readonly pauseAfterWriteMs = 0,
  ) {}

  /** Writes every full batch (and, with flush, the remainder); returns the number of files written. */
  async sync(flush: boolean): Promise<number> {
    let written = await this.write(await this.batches.unwritten());
    for (let reserved = await this.reserve(flush); reserved.length > 0; reserved = await this.reserve(flush)) written += await this.write(reserved);
    return written;
  }

  private reserve(flush: boolean): Promise<S3Batch[]> {
    return this.batches.reserve(DETECTIONS_PER_FILE, flush, BATCHES_PER_RESERVE);
  }

  private async write(batches: readonly S3Batch[]): Promise<number> {
    if (batches.length === 0) return 0;
    const detections = await this.batches.detections(batches.map((b) => b.batchNo));
    const queue = [...batches];
    const writeNext = async (): Promise<void> => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        await this.store.write(batch.objectKey, renderDetectionFile(detections.get(batch.batchNo)!));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENT_WRITES, batches.length) }, writeNext));
    if (this.pauseAfterWriteMs > 0) await sleep(this.pauseAfterWriteMs);
    await this.batches.markWritten(batches.map((b) => b.batchNo));
    return batches.length;
  }
}
