import type { TransactionRule } from "./transaction-rule";

/** PatId5: the transaction's customer or merchant is on the blacklist. */
export const blacklisted: TransactionRule = {
  patternId: "PatId5",
  actionType: "BLACKLISTED",
  fires: (txn, _amount, _history, s) => s.blacklist.size > 0 && (s.blacklist.has(txn.customer) || s.blacklist.has(txn.merchant)),
  /** The customer's entry when both are listed. */
  explain(txn, _amount, _history, s) {
    const id = s.blacklist.has(txn.customer) ? txn.customer : txn.merchant;
    return { id, reason: s.blacklist.get(id)! };
  },
};
