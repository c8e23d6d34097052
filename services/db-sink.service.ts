import type { ServiceSchema } from "moleculer";
import { WorkLoop } from "../src/app/loop";
import type { Runtime } from "../src/app/runtime";
import { moveToPatternDetections } from "../src/storage/outbox";

const BATCH = 1000;
const IDLE_MS = 500;

/** Copies committed detections from the outbox into pattern_detections, each exactly once. */
export function dbSinkService(rt: Runtime): ServiceSchema {
  let loop: WorkLoop | undefined;

  async function drain(): Promise<number> {
    const ds = await rt.db();
    let total = 0;
    for (let moved = BATCH; moved === BATCH; total += moved) moved = await moveToPatternDetections(ds, BATCH);
    return total;
  }

  return {
    name: "db-sink",
    actions: {
      sync: { handler: () => drain() },
    },
    events: {
      "detections.committed": { handler: () => loop?.wake() },
    },
    async started() {
      await rt.db();
      loop = new WorkLoop("db-sink", async () => ((await drain()) > 0 ? 0 : IDLE_MS), this.logger);
      loop.start();
    },
    async stopped() {
      await loop?.stop();
    },
  };
}
