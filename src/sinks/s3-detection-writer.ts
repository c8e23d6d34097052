import { csvLine } from "../csv/write";
import type { ObjectStore } from "../storage/object-store";
import type { Detection } from "../detection";
import type { S3BatchStore } from "../storage/outbox";
import { sleep } from "../retry";
import { formatIst } from "../time";

export const DETECTION_FILE_HEADER = ["YStartTime", "detectionTime", "patternId", "ActionType", "customerName", "MerchantId", "chunk", "amount", "line"];
export const DETECTIONS_PER_FILE = 50;

export function renderDetectionFile(rows: readonly Detection[]): string {
  const lines = [csvLine(DETECTION_FILE_HEADER)];
  for (const d of rows) {
    lines.push(
      csvLine([formatIst(d.yStartTime), formatIst(d.detectionTime), d.patternId, d.actionType, d.customer, d.merchant, d.chunk, d.amount ?? "", d.line ?? ""]),
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Writes detections to S3 in files of DETECTIONS_PER_FILE: reserve a batch,
 * write the object named after it, mark it written. A crash between the last
 * two steps rewrites the same object with the same bytes.
 */
export class S3DetectionWriter {
  constructor(
    private readonly batches: S3BatchStore,
    private readonly store: ObjectStore,
    /** Fault injection for crash tests: how long to wait between writing an object and recording it. */
    private readonly pauseAfterWriteMs = 0,
  ) {}

  /** Writes every full batch (and, with flush, the remainder); returns the number of files written. */
  async sync(flush: boolean): Promise<number> {
    let written = 0;
    for (const batch of await this.batches.unwritten()) {
      await this.write(batch.batchNo, batch.objectKey);
      written++;
    }
    for (let batch = await this.batches.reserve(DETECTIONS_PER_FILE, flush); batch; batch = await this.batches.reserve(DETECTIONS_PER_FILE, flush)) {
      await this.write(batch.batchNo, batch.objectKey);
      written++;
    }
    return written;
  }

  private async write(batchNo: number, objectKey: string): Promise<void> {
    await this.store.write(objectKey, renderDetectionFile(await this.batches.detections(batchNo)));
    if (this.pauseAfterWriteMs > 0) await sleep(this.pauseAfterWriteMs);
    await this.batches.markWritten(batchNo);
  }
}
