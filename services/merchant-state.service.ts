import { Errors, type Context, type ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { PartitionRecordEntity } from "../entities/partition-record.entity";
import { partitionOf } from "../src/partitioning";
import { customerAtMerchants } from "../src/state/customer-summary";
import { summarizeMerchant } from "../src/state/merchant-summary";
import { firedPatterns } from "../src/storage/fired-patterns";
import { statePartitionAssignments } from "./cluster";
import { assignedElsewhere, partitionState } from "./partition-state";

/** Per-merchant aggregates (PatId1–3) for the merchant partitions assigned to this node. */
export function merchantStateService(rt: Runtime): ServiceSchema {
  const state = partitionState(rt, "merchant-state");
  return {
    ...state.schema,
    actions: {
      ...state.schema.actions,
      /** Every partition of both kinds, with its assigned node, last committer and last applied chunk. */
      partitions: {
        async handler() {
          const rows = await (await rt.db()).getRepository(PartitionRecordEntity).find({ order: { partition: "ASC" } });
          const assigned = statePartitionAssignments(state.broker(), rt.config.partitions);
          return rows.map((r) => ({ ...r, kind: r.partition < rt.config.partitions ? "merchant" : "customer", assignedTo: assigned.get(r.partition) ?? null }));
        },
      },
      merchant: {
        params: { id: { type: "string", min: 1 } },
        async handler(ctx: Context<{ id: string }, { $forwarded?: boolean }>) {
          const partition = partitionOf(ctx.params.id, rt.config.partitions);
          const elsewhere = assignedElsewhere(state, partition, ctx);
          if (elsewhere) return ctx.call("merchant-state.merchant", ctx.params, { nodeID: elsewhere, meta: { $forwarded: true } });
          const aggregates = await state.host().merchant(partition, ctx.params.id);
          const detections = await firedPatterns(await rt.db(), ctx.params.id);
          if (!aggregates && detections.length === 0)
            throw new Errors.MoleculerClientError(`merchant "${ctx.params.id}" has no transactions`, 404, "MERCHANT_NOT_FOUND");
          return { ...summarizeMerchant(partition, ctx.params.id, aggregates), detections };
        },
      },
      /** A customer's aggregates at the merchants of the partitions this node holds. */
      customerAtMerchants: {
        params: { id: { type: "string", min: 1 } },
        handler: (ctx: Context<{ id: string }>) => customerAtMerchants(state.host().cached().values(), ctx.params.id),
      },
    },
  };
}
