import type { LoopPolicy } from "../work-loop";
import type { Log } from "../log";
import type { S3BatchStore } from "../storage/outbox";
import type { S3DetectionWriter } from "./s3-detection-writer";

const IDLE_MS = 500;

/**
 * The S3 sink's loop: writes every full file; fewer detections than a file
 * wait for more, until none has come for `idleFlushMs` (0: wait for an
 * operator's flush), then go out as a partial file.
 */
export class S3SinkLoop implements LoopPolicy {
  private waiting = { count: 0, since: Date.now() };

  constructor(
    private readonly writer: S3DetectionWriter,
    private readonly batches: S3BatchStore,
    private readonly idleFlushMs: number,
    private readonly log: Log,
  ) {}

  async step(): Promise<number> {
    if ((await this.writer.sync(false)) > 0) return 0;
    if (this.idleFlushMs === 0) return IDLE_MS;
    const s3Pending = await this.batches.waiting();
    if (s3Pending !== this.waiting.count) this.waiting = { count: s3Pending, since: Date.now() };
    else if (s3Pending > 0 && Date.now() - this.waiting.since >= this.idleFlushMs) {
      await this.writer.sync(true);
      this.log.info("flushed a partial detections file after idle timeout", { detections: s3Pending });
    }
    return IDLE_MS;
  }
}
