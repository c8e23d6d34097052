import { formatDecimal } from "../decimal";
import { integerQuantileAt, quantileAt } from "../quantile";
import { doubleFigure } from "./explanation";
import type { MerchantView } from "./merchant-view";
import type { PatternRule, PatternThresholds } from "./rule";

/** PatId1: among merchants with N(m) > min, customers in the top count quantile and the bottom weight quantile. */
export const upgrade: PatternRule = {
  patternId: "PatId1",
  actionType: "UPGRADE",
  *matches(merchant, _touched, t) {
    if (merchant.txnCount <= t.upgradeMinMerchantTxns || merchant.weightedCustomers === 0) return;
    const { countThreshold, weightThreshold } = thresholdsOf(merchant, t);
    yield* merchant.unemittedCustomers(upgrade.patternId, weightThreshold, countThreshold);
  },
  explain(merchant, customer, t) {
    const { n, weight } = merchant.customers.get(customer)!;
    const { countThreshold, weightThreshold } = thresholdsOf(merchant, t);
    // The count quantile's denominator is a power of ten (a probability has at most 6 decimals): Tn is exact.
    const exact = formatDecimal({ units: countThreshold.num, scale: Math.round(Math.log10(countThreshold.den)) });
    const Tn = exact.includes(".") ? exact.replace(/\.?0+$/, "") : exact;
    return { n, Tn, w: doubleFigure(weight!), Tw: doubleFigure(weightThreshold) };
  },
};

/** Tn as the exact fraction num/den, and Tw. */
function thresholdsOf(merchant: MerchantView, t: PatternThresholds) {
  return {
    countThreshold: integerQuantileAt(merchant.customers.size, merchant.countAt, t.upgradeCountQuantile),
    weightThreshold: quantileAt(merchant.weightedCustomers, merchant.weightAt, t.upgradeWeightQuantile),
  };
}
