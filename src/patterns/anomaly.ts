import { deviationFigures, exceedsDeviations } from "./deviation";
import type { TransactionRule } from "./transaction-rule";

/** PatId6: at least ANOMALY_MIN_HISTORY earlier transactions, and the amount more than ANOMALY_Z population standard deviations above their mean. */
export const anomaly: TransactionRule = {
  patternId: "PatId6",
  actionType: "ANOMALY",
  fires: (_txn, amount, history, s) => history !== undefined && history.n >= s.anomalyMinHistory && exceedsDeviations(history, amount, s.anomalyZ),
  explain: (txn, amount, history) => ({ amount: txn.amount, ...deviationFigures(history!, amount) }),
};
