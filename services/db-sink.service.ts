import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { DbSinkLoop, drainOutbox } from "../src/sinks/db-sink";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";

/** Copies committed detections from the outbox into pattern_detections, each exactly once. */
export function dbSinkService(rt: Runtime): ServiceSchema {
  const worker = new WorkLoopMixin("db-sink", async () => new DbSinkLoop(await rt.db()));

  return {
    name: "db-sink",
    mixins: [worker.schema],
    actions: {
      // Between two steps of the loop, so that rows a step has locked are moved before sync answers.
      sync: { handler: () => worker.exclusive(async () => drainOutbox(await rt.db())) },
    },
    events: {
      "detections.committed": { handler: () => worker.wake() },
    },
  };
}
