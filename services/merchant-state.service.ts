import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import type { ApplyRequest, ApplyResult } from "../src/ingest/apply-request";
import { assignPartitions } from "../src/partitioning";
import { PATTERN_RULES, type PatternThresholds } from "../src/patterns";
import { PartitionHost } from "../src/state/partition-host";
import { merchantReport } from "../src/storage/merchant-report";
import { nodesRunning } from "./cluster";

/** Per-merchant and per-customer aggregates for the partitions this node owns. */
export function merchantStateService(rt: Runtime): ServiceSchema {
  let host: PartitionHost | undefined;
  let broker: ServiceBroker;

  async function rebalance(): Promise<void> {
    if (!host) return;
    const owners = assignPartitions(rt.config.partitions, nodesRunning(broker, "merchant-state"));
    const mine = new Set([...owners].filter(([, node]) => node === broker.nodeID).map(([p]) => p));
    await host.retain(mine);
  }

  return {
    name: "merchant-state",
    dependencies: ["detector"],
    actions: {
      apply: {
        async handler(ctx: Context<ApplyRequest>): Promise<ApplyResult> {
          if (!host) throw new Error(`merchant-state on ${broker.nodeID} is not started yet`);
          const result = await host.apply(ctx.params);
          if (result.detections > 0) broker.emit("detections.committed", { seq: ctx.params.seq, count: result.detections });
          return result;
        },
      },
      partitions: {
        async handler() {
          const ds = await rt.db();
          const rows: Array<{ partition: number; applied_seq: number; owner: string | null; updated_at: Date }> = await ds.query(
            `SELECT partition, applied_seq, owner, updated_at FROM partition_state ORDER BY partition`,
          );
          const cached = host?.cached() ?? new Map();
          return rows.map((r) => ({
            partition: r.partition, owner: r.owner, appliedSeq: r.applied_seq, updatedAt: r.updated_at,
            cachedHere: cached.has(r.partition),
          }));
        },
      },
      merchant: {
        params: { id: { type: "string", min: 1 } },
        async handler(ctx: Context<{ id: string }>) {
          return merchantReport(await rt.db(), ctx.params.id);
        },
      },
    },
    events: {
      "$services.changed": {
        handler: () => void rebalance(),
      },
    },
    async started() {
      broker = this.broker;
      const thresholds: PatternThresholds = await this.broker.call("detector.thresholds");
      host = new PartitionHost(await rt.db(), broker.nodeID, PATTERN_RULES, thresholds, this.logger);
      await rebalance();
    },
  };
}
