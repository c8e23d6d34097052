import type { ServiceSchema } from "moleculer";
import { WorkLoop } from "../src/app/loop";
import type { Runtime } from "../src/app/runtime";
import { Chunker } from "../src/chunker/chunker";
import { openSource } from "../src/chunker/source";
import { readProgress, saveProgress } from "../src/storage/chunker-progress";
import { CHUNKER_LEADER_LOCK, LeaderLock } from "../src/storage/leader-lock";

/** Mechanism X: one active copy cuts the source into chunks, one every CHUNK_INTERVAL_MS. */
export function chunkerService(rt: Runtime): ServiceSchema {
  let loop: WorkLoop | undefined;
  let leader: LeaderLock | undefined;
  let chunker: Chunker | undefined;

  return {
    name: "chunker",
    actions: {
      status: {
        async handler() {
          const progress = await chunker?.status();
          return { source: rt.config.source ?? null, leader: leader?.held ?? false, ...progress, finished: progress?.finished ?? false, failure: loop?.failure ?? null };
        },
      },
    },
    async started() {
      const { source: location, chunkRows, maxRecordBytes, chunkIntervalMs } = rt.config;
      if (!location) throw new Error("chunker needs a source: --source PATH|s3://bucket/key or SOURCE");
      const ds = await rt.db();
      const source = openSource(location, rt.store);
      chunker = new Chunker(source, rt.store, { read: () => readProgress(ds, source.id), save: (p) => saveProgress(ds, source.id, p) }, chunkRows, maxRecordBytes);
      leader = new LeaderLock(ds, CHUNKER_LEADER_LOCK);
      const idleMs = Math.max(chunkIntervalMs, 1000);
      loop = new WorkLoop("chunker", async () => {
        if (!(await leader!.hold())) return 2000;
        const started = Date.now();
        const written = await chunker!.writeNext();
        if (!written) return idleMs;
        void this.broker.emit("chunk.landed", { key: written.key, rows: written.rows });
        return Math.max(0, chunkIntervalMs - (Date.now() - started));
      }, this.logger);
      loop.start();
    },
    async stopped() {
      await loop?.stop();
      await leader?.release();
    },
  };
}
