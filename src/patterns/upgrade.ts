import { isAtLeastIntegerQuantile, quantileValue } from "../quantile";
import type { PatternRule } from "./rule";

/** PatId1: among merchants with N(m) > min, customers in the top count quantile and the bottom weight quantile. */
export const upgrade: PatternRule = {
  patternId: "PatId1",
  actionType: "UPGRADE",
  *matches(merchant, _touched, t) {
    if (merchant.txnCount <= t.upgradeMinMerchantTxns) return;
    const counts = new Float64Array(merchant.customers.size);
    const weights: number[] = [];
    let i = 0;
    for (const agg of merchant.customers.values()) {
      counts[i++] = agg.n;
      if (agg.weight !== undefined) weights.push(agg.weight);
    }
    if (weights.length === 0) return;
    counts.sort();
    weights.sort((a, b) => a - b);
    const weightThreshold = quantileValue(weights, t.upgradeWeightQuantile);
    for (const [customer, agg] of merchant.customers) {
      if (agg.weight !== undefined && agg.weight <= weightThreshold && isAtLeastIntegerQuantile(agg.n, counts, t.upgradeCountQuantile)) {
        yield customer;
      }
    }
  },
};
