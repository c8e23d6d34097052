import type { ServiceSchema } from "moleculer";
import { WorkLoop } from "../src/app/loop";
import type { Runtime } from "../src/app/runtime";
import { S3DetectionWriter } from "../src/sinks/s3-detection-writer";
import { DETECTION_PREFIX } from "../src/storage/object-store";
import { S3BatchStore } from "../src/storage/outbox";

const IDLE_MS = 500;

/**
 * Writes detections to S3 in files of 50. Fewer than 50 wait for more, until
 * an operator flushes (action s3-sink.flush, POST /api/detections/flush) or no
 * new detection has come for S3_FLUSH_IDLE_MS.
 */
export function s3SinkService(rt: Runtime): ServiceSchema {
  let loop: WorkLoop | undefined;
  let writer: S3DetectionWriter | undefined;

  return {
    name: "s3-sink",
    actions: {
      sync: { handler: () => writer!.sync(false) },
      flush: { handler: () => writer!.sync(true) },
    },
    events: {
      "detections.committed": { handler: () => loop?.wake() },
    },
    async started() {
      const ds = await rt.db();
      const batches = new S3BatchStore(ds, DETECTION_PREFIX);
      writer = new S3DetectionWriter(batches, rt.store, rt.config.faultPauseAfterS3WriteMs);
      const idleFlushMs = rt.config.s3FlushIdleMs;
      let waiting = { count: 0, since: Date.now() };
      loop = new WorkLoop("s3-sink", async () => {
        if ((await writer!.sync(false)) > 0) return 0;
        if (idleFlushMs === 0) return IDLE_MS;
        const s3Pending = await batches.waiting();
        if (s3Pending !== waiting.count) waiting = { count: s3Pending, since: Date.now() };
        else if (s3Pending > 0 && Date.now() - waiting.since >= idleFlushMs) {
          await writer!.sync(true);
          this.logger.info("flushed a partial detections file after idle timeout", { detections: s3Pending });
        }
        return IDLE_MS;
      }, this.logger);
      loop.start();
    },
    async stopped() {
      await loop?.stop();
    },
  };
}
