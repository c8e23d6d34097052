import { STATE_SERVICES } from "../src/partitioning";
import type { Context, ServiceSchema } from "moleculer";
import { AlertsLoop } from "../src/alerts/alerts-loop";
import { EmailSender } from "../src/alerts/email-sender";
import { ALERT_DELIVERIES } from "../src/metrics/catalogue";
import type { Runtime } from "../src/app/runtime";
import { recordPipelineEvent } from "../src/storage/alert-deliveries";
import { LeaderLock } from "../src/storage/leader-lock";
import { ALERTS_LEADER_LOCK } from "../src/storage/lock-keys";
import { nodesRunning } from "./cluster";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";
import { registerMetrics } from "./node-metrics";

/** What Moleculer's `$node.disconnected` carries, as far as alerts read it. */
interface NodeDisconnected {
  node: { id: string; instanceID?: string; services?: Array<{ name: string }> };
  unexpected?: boolean;
}

/** Sends new detections and pipeline problems to the channels they are routed to; one active copy (advisory lock). */
export function alertsService(rt: Runtime): ServiceSchema {
  const worker = new WorkLoopMixin("alerts", async (service) => {
    const ds = await rt.db();
    const { alerts } = rt.config;
    if (alerts.routes.length === 0) service.logger.debug("no alert channel configured: alerts only mark detections as seen");
    const mail = alerts.email ? new EmailSender(alerts.email) : undefined;
    const attempted = (channel: string, outcome: string, count: number) => service.broker.metrics.increment(ALERT_DELIVERIES.name, { channel, outcome }, count);
    return new AlertsLoop(new LeaderLock(ds, ALERTS_LEADER_LOCK), ds, alerts, mail, service.logger, attempted);
  });

  return {
    name: "alerts",
    mixins: [worker.schema],
    created() {
      registerMetrics(this.broker, [ALERT_DELIVERIES]);
    },
    actions: {
      status: { handler: () => ({ leader: worker.policy?.leading ?? false, failure: worker.failure }) },
    },
    events: {
      "detections.committed": { handler: () => worker.wake() },
      "chunk.processed": {
        handler: (ctx: Context<{ status?: string }>) => {
          if (ctx.params.status === "failed") worker.wake();
        },
      },
      // The API put a dead-lettered delivery back in the queue.
      "alerts.requeued": { handler: () => worker.wake() },
      // A merchant-state or customer-state node that vanished (no clean stop): its partitions move to the others.
      // Every alerts copy records it; the node's instance id makes the event one row however many do.
      "$node.disconnected": {
        async handler(ctx: Context<NodeDisconnected>) {
          const { node, unexpected } = ctx.params;
          const service = STATE_SERVICES.find((name) => node.services?.some((s) => s.name === name));
          if (!unexpected || !service) return;
          const remaining = nodesRunning(ctx.broker, service).filter((id) => id !== node.id);
          const message = `${service} node ${node.id} was lost; its partitions moved to ${remaining.length > 0 ? remaining.join(", ") : "no node (none left)"}`;
          if (await recordPipelineEvent(await rt.db(), "node-lost", `${node.id}/${node.instanceID ?? "unknown"}`, message)) worker.wake();
        },
      },
    },
  };
}
