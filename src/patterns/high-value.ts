import { compare, formatDecimal } from "../decimal";
import type { TransactionRule } from "./transaction-rule";

/** PatId4: amount >= HIGH_VALUE_MIN_AMOUNT, exactly. */
export const highValue: TransactionRule = {
  patternId: "PatId4",
  actionType: "HIGH-VALUE",
  fires: (_txn, amount, _history, s) => compare(amount, s.highValueMinAmount) >= 0,
  explain: (txn, _amount, _history, s) => ({ amount: txn.amount, threshold: formatDecimal(s.highValueMinAmount) }),
};
