import { integerQuantileAt, quantileAt } from "../quantile";
import type { PatternRule } from "./rule";

/** PatId1: among merchants with N(m) > min, customers in the top count quantile and the bottom weight quantile. */
export const upgrade: PatternRule = {
  patternId: "PatId1",
  actionType: "UPGRADE",
  *matches(merchant, _touched, t) {
    if (merchant.txnCount <= t.upgradeMinMerchantTxns || merchant.weightedCustomers === 0) return;
    const countThreshold = integerQuantileAt(merchant.customers.size, merchant.countAt, t.upgradeCountQuantile);
    const weightThreshold = quantileAt(merchant.weightedCustomers, merchant.weightAt, t.upgradeWeightQuantile);
    yield* merchant.unemittedCustomers(upgrade.patternId, weightThreshold, countThreshold);
  },
};
