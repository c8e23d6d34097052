import type { Context, ServiceBroker, ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import type { ApplyRequest, ApplyResult } from "../src/ingest/apply-request";
import { readChunk } from "../src/ingest/chunk-reader";
import { CHUNK_APPLY_SECONDS, DETECTIONS, PARTITIONS_ASSIGNED } from "../src/metrics/catalogue";
import { assignStatePartitions, type StateService } from "../src/partitioning";
import { PATTERN_RULES, TRANSACTION_RULES } from "../src/patterns";
import { PartitionHost } from "../src/state/partition-host";
import { PgPartitionStore } from "../src/storage/partition-store";
import { nodesRunning } from "./cluster";
import { registerMetrics } from "./node-metrics";

/** What merchant-state and customer-state share: a PartitionHost for the partitions of their kind assigned to this node. */
export interface PartitionState {
  readonly schema: ServiceSchema;
  /** This node's host, once started. */
  host(): PartitionHost;
  /** The node each partition of this kind is assigned to now. */
  assignments(): Map<number, string>;
  broker(): ServiceBroker;
}

/**
 * The partitions of one kind (merchant-state: 0 … P−1; customer-state: P … 2P−1) spread
 * over the live nodes running `service`: each node applies chunks to the ones assigned to
 * it, each chunk computed with the configuration version in force for it, and hands them
 * over when nodes join or leave.
 */
export function partitionState(rt: Runtime, service: StateService): PartitionState {
  let host: PartitionHost | undefined;
  let broker: ServiceBroker;
  const liveNodes = () => nodesRunning(broker, service);
  const assignments = (nodes = liveNodes()) => assignStatePartitions(service, rt.config.partitions, nodes);

  async function rebalance(): Promise<void> {
    if (!host) return;
    const live = liveNodes();
    const assigned = [...assignments(live)].filter(([, node]) => node === broker.nodeID).map(([p]) => p);
    broker.metrics.set(PARTITIONS_ASSIGNED.name, assigned.length, { service });
    await host.retain(new Set(assigned), live);
  }

  const schema: ServiceSchema = {
    name: service,
    // The detector records the configuration version the chunks are computed with.
    dependencies: ["detector"],
    actions: {
      apply: {
        async handler(ctx: Context<ApplyRequest>): Promise<ApplyResult> {
          if (!host) throw new Error(`${service} on ${broker.nodeID} is not started yet`);
          const started = performance.now();
          const result = await host.apply(ctx.params);
          broker.metrics.observe(CHUNK_APPLY_SECONDS.name, (performance.now() - started) / 1000, { service });
          for (const [pattern, count] of Object.entries(result.byPattern)) broker.metrics.increment(DETECTIONS.name, { service, pattern }, count);
          if (result.detections > 0) void broker.emit("detections.committed", { seq: ctx.params.seq, count: result.detections });
          return result;
        },
      },
    },
    events: {
      "$services.changed": {
        handler: () => void rebalance(),
      },
    },
    created() {
      registerMetrics(this.broker, [CHUNK_APPLY_SECONDS, DETECTIONS, PARTITIONS_ASSIGNED]);
    },
    async started() {
      broker = this.broker;
      const { partitions, maxRecordBytes, checkpointEvery } = rt.config;
      host = new PartitionHost(new PgPartitionStore(await rt.db()), {
        nodeId: broker.nodeID,
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

  return {
    schema,
    host: () => {
      if (!host) throw new Error(`${service} on ${broker.nodeID} is not started yet`);
      return host;
    },
    assignments: () => assignments(),
    broker: () => broker,
  };
}

/** Sends a read to the node a partition is assigned to, unless that is this one (or the call was forwarded already). */
export function assignedElsewhere(state: PartitionState, partition: number, ctx: Context<unknown, { $forwarded?: boolean }>): string | undefined {
  const assignedTo = state.assignments().get(partition);
  return assignedTo && assignedTo !== state.broker().nodeID && !ctx.meta.$forwarded ? assignedTo : undefined;
}
