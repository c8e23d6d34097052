import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { S3DetectionWriter } from "../src/sinks/s3-detection-writer";
import { S3SinkLoop } from "../src/sinks/s3-sink-loop";
import { DETECTION_PREFIX } from "../src/storage/object-store";
import { S3BatchStore } from "../src/storage/outbox";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";

/**
 * Writes detections to S3 in files of 50. Fewer than 50 wait for more, until
 * an operator flushes (action s3-sink.flush, POST /api/detections/flush) or no
 * new detection has come for S3_FLUSH_IDLE_MS.
 */
export function s3SinkService(rt: Runtime): ServiceSchema {
  let writer: S3DetectionWriter | undefined;
  const worker = new WorkLoopMixin("s3-sink", async (service) => {
    const batches = new S3BatchStore(await rt.db(), DETECTION_PREFIX);
    writer = new S3DetectionWriter(batches, rt.store, rt.config.faultPauseAfterS3WriteMs);
    return new S3SinkLoop(writer, batches, rt.config.s3FlushIdleMs, service.logger);
  });

  return {
    name: "s3-sink",
    mixins: [worker.schema],
    actions: {
      // Between two steps of the loop, so that a batch a step is reserving is written before these answer.
      sync: { handler: () => worker.exclusive(() => writer!.sync(false)) },
      flush: { handler: () => worker.exclusive(() => writer!.sync(true)) },
    },
    events: {
      "detections.committed": { handler: () => worker.wake() },
    },
  };
}
