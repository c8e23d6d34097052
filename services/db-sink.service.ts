import type { Service, ServiceBroker, ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { DbSinkLoop, drainOutbox } from "../src/sinks/db-sink";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";

/** Copies committed detections from the outbox into pattern_detections, each exactly once. */
export function dbSinkService(rt: Runtime): ServiceSchema {
  /** Drains the outbox and tells every api node (each streams new detections) how many it stored. */
  const drain = async (broker: ServiceBroker): Promise<number> => {
    const moved = await drainOutbox(await rt.db());
    if (moved > 0) void broker.broadcast("detections.stored", { count: moved });
    return moved;
  };
  const worker = new WorkLoopMixin("db-sink", async (service) => new DbSinkLoop(() => drain(service.broker)));

  return {
    name: "db-sink",
    mixins: [worker.schema],
    actions: {
      // Between two steps of the loop, so that rows a step has locked are moved before sync answers.
      sync: {
        handler(this: Service) {
          return worker.exclusive(() => drain(this.broker));
        },
      },
    },
    events: {
      "detections.committed": { handler: () => worker.wake() },
    },
  };
}
