import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { Chunker } from "../src/chunker/chunker";
import { ChunkerLoop } from "../src/chunker/chunker-loop";
import { openSource } from "../src/chunker/source";
import { readProgress, saveProgress } from "../src/storage/chunker-progress";
import { LeaderLock } from "../src/storage/leader-lock";
import { CHUNKER_LEADER_LOCK } from "../src/storage/lock-keys";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";

/** Mechanism X: one active copy cuts the source into chunks, one every CHUNK_INTERVAL_MS. */
export function chunkerService(rt: Runtime): ServiceSchema {
  let chunker: Chunker | undefined;
  const worker = new WorkLoopMixin("chunker", async (service) => {
    const { source: location, chunkRows, maxRecordBytes, chunkIntervalMs } = rt.config;
    if (!location) throw new Error("chunker needs a source: --source PATH|s3://bucket/key or SOURCE");
    const ds = await rt.db();
    const source = openSource(location, rt.store);
    chunker = new Chunker(
      source,
      rt.store,
      { read: () => readProgress(ds, source.id), save: (p) => saveProgress(ds, source.id, p) },
      chunkRows,
      maxRecordBytes,
    );
    return new ChunkerLoop(
      new LeaderLock(ds, CHUNKER_LEADER_LOCK),
      chunker,
      chunkIntervalMs,
      (written) => void service.broker.emit("chunk.landed", { key: written.key, rows: written.rows }),
      () => void service.broker.emit("source.finished", { source: location }),
    );
  });

  return {
    name: "chunker",
    mixins: [worker.schema],
    actions: {
      status: {
        async handler() {
          const progress = await chunker?.status();
          return {
            source: rt.config.source ?? null,
            leader: worker.policy?.leading ?? false,
            ...progress,
            finished: progress?.finished ?? false,
            failure: worker.failure,
          };
        },
      },
    },
  };
}
