import { Errors, type Context, type ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { customerPartitionOf } from "../src/partitioning";
import { summarizeCustomer, type CustomerAtMerchant } from "../src/state/customer-summary";
import { customerDetections } from "../src/storage/fired-patterns";
import { nodesRunning } from "./cluster";
import { assignedElsewhere, partitionState } from "./partition-state";

/** Each customer's history over every merchant (PatId4–6) for the customer partitions assigned to this node. */
export function customerStateService(rt: Runtime): ServiceSchema {
  const state = partitionState(rt, "customer-state");
  return {
    ...state.schema,
    actions: {
      ...state.schema.actions,
      /** A customer's totals over every merchant, its merchants (from merchant-state) and its latest detections. */
      customer: {
        params: { id: { type: "string", min: 1 } },
        async handler(ctx: Context<{ id: string }, { $forwarded?: boolean }>) {
          const partition = customerPartitionOf(ctx.params.id, rt.config.partitions);
          const elsewhere = assignedElsewhere(state, partition, ctx);
          if (elsewhere) return ctx.call("customer-state.customer", ctx.params, { nodeID: elsewhere, meta: { $forwarded: true } });
          const [history, merchants, detections] = await Promise.all([
            state.host().customerHistory(partition, ctx.params.id),
            // Its pairs are in the partitions of its merchants, spread over the merchant-state nodes.
            Promise.all(
              nodesRunning(state.broker(), "merchant-state").map((nodeID) =>
                ctx.call<CustomerAtMerchant[], { id: string }>("merchant-state.customerAtMerchants", ctx.params, { nodeID }),
              ),
            ).then((lists) => lists.flat()),
            customerDetections(await rt.db(), ctx.params.id),
          ]);
          if (!history && detections.length === 0)
            throw new Errors.MoleculerClientError(`customer "${ctx.params.id}" has no transactions`, 404, "CUSTOMER_NOT_FOUND");
          return { ...summarizeCustomer(partition, ctx.params.id, history, merchants), detections };
        },
      },
    },
  };
}
