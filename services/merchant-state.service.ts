import { Errors, type Context, type ServiceBroker, type ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import type { ApplyRequest, ApplyResult } from "../src/ingest/apply-request";
import { assignPartitions } from "../src/partitioning";
import { PartitionRecordEntity } from "../entities/partition-record.entity";
import { readChunk } from "../src/ingest/chunk-reader";
import { partitionOf } from "../src/partitioning";
import { PATTERN_RULES, TRANSACTION_RULES } from "../src/patterns";
import { customerAtMerchants, summarizeCustomer, type CustomerAtMerchant } from "../src/state/customer-summary";
import { summarizeMerchant } from "../src/state/merchant-summary";
import { PartitionHost } from "../src/state/partition-host";
import { PgPartitionStore } from "../src/storage/partition-store";
import { customerDetections, firedPatterns } from "../src/storage/fired-patterns";
import { nodesRunning } from "./cluster";

/** Per-merchant and per-customer aggregates for the partitions assigned to this node; each chunk computed with the configuration version in force for it. */
export function merchantStateService(rt: Runtime): ServiceSchema {
  let host: PartitionHost | undefined;
  let broker: ServiceBroker;

  const liveNodes = () => nodesRunning(broker, "merchant-state");
  const assignments = (nodes = liveNodes()) => assignPartitions(rt.config.partitions, nodes);

  async function rebalance(): Promise<void> {
    if (!host) return;
    const live = liveNodes();
    const assigned = [...assignments(live)].filter(([, node]) => node === broker.nodeID).map(([p]) => p);
    await host.retain(new Set(assigned), live);
  }

  return {
    name: "merchant-state",
    // The detector records the configuration version the chunks are computed with.
    dependencies: ["detector"],
    actions: {
      apply: {
        async handler(ctx: Context<ApplyRequest>): Promise<ApplyResult> {
          if (!host) throw new Error(`merchant-state on ${broker.nodeID} is not started yet`);
          const result = await host.apply(ctx.params);
          if (result.detections > 0) void broker.emit("detections.committed", { seq: ctx.params.seq, count: result.detections });
          return result;
        },
      },
      partitions: {
        async handler() {
          const rows = await (await rt.db()).getRepository(PartitionRecordEntity).find({ order: { partition: "ASC" } });
          const assigned = assignments();
          return rows.map((r) => ({ ...r, assignedTo: assigned.get(r.partition) ?? null }));
        },
      },
      merchant: {
        params: { id: { type: "string", min: 1 } },
        async handler(ctx: Context<{ id: string }, { $forwarded?: boolean }>) {
          const partition = partitionOf(ctx.params.id, rt.config.partitions);
          const assignedTo = assignments().get(partition);
          if (assignedTo && assignedTo !== broker.nodeID && !ctx.meta.$forwarded) {
            return ctx.call("merchant-state.merchant", ctx.params, { nodeID: assignedTo, meta: { $forwarded: true } });
          }
          const aggregates = await host!.merchant(partition, ctx.params.id);
          const detections = await firedPatterns(await rt.db(), ctx.params.id);
          if (!aggregates && detections.length === 0)
            throw new Errors.MoleculerClientError(`merchant "${ctx.params.id}" has no transactions`, 404, "MERCHANT_NOT_FOUND");
          return { ...summarizeMerchant(partition, ctx.params.id, aggregates), detections };
        },
      },
      customer: {
        params: { id: { type: "string", min: 1 } },
        async handler(ctx: Context<{ id: string }, { $forwarded?: boolean }>) {
          const partition = partitionOf(ctx.params.id, rt.config.partitions);
          const assignedTo = assignments().get(partition);
          if (assignedTo && assignedTo !== broker.nodeID && !ctx.meta.$forwarded) {
            return ctx.call("merchant-state.customer", ctx.params, { nodeID: assignedTo, meta: { $forwarded: true } });
          }
          const [history, merchants, detections] = await Promise.all([
            host!.customerHistory(partition, ctx.params.id),
            // Its pairs are in the partitions of its merchants, spread over every node.
            Promise.all(
              liveNodes().map((nodeID) => ctx.call<CustomerAtMerchant[], { id: string }>("merchant-state.customerAtMerchants", ctx.params, { nodeID })),
            ).then((lists) => lists.flat()),
            customerDetections(await rt.db(), ctx.params.id),
          ]);
          if (!history && detections.length === 0)
            throw new Errors.MoleculerClientError(`customer "${ctx.params.id}" has no transactions`, 404, "CUSTOMER_NOT_FOUND");
          return { ...summarizeCustomer(partition, ctx.params.id, history, merchants), detections };
        },
      },
      /** The customer's aggregates at the merchants of the partitions this node holds. */
      customerAtMerchants: {
        visibility: "public",
        params: { id: { type: "string", min: 1 } },
        handler: (ctx: Context<{ id: string }>) => customerAtMerchants(host?.cached().values() ?? [], ctx.params.id),
      },
    },
    events: {
      "$services.changed": {
        handler: () => void rebalance(),
      },
    },
    async started() {
      broker = this.broker;
      const { partitions, maxRecordBytes, checkpointEvery } = rt.config;
      host = new PartitionHost(new PgPartitionStore(await rt.db()), {
        nodeId: broker.nodeID,
        partitions,
        rules: PATTERN_RULES,
        transactionRules: TRANSACTION_RULES,
        checkpointEvery,
        log: this.logger,
        chunkRows: async (key) => (await readChunk(rt.store, key, partitions, maxRecordBytes)).byPartition,
      });
      await rebalance();
    },
    async stopped() {
      await host?.close();
    },
  };
}
