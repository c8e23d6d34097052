import type { PatternRule } from "./rule";

/** PatId2: n(c,m) >= min and avg(c,m) < max, i.e. sum < max * n in exact cents. */
export const child: PatternRule = {
  patternId: "PatId2",
  actionType: "CHILD",
  *matches(merchant, touched, t) {
    for (const customer of touched) {
      const agg = merchant.customers.get(customer);
      if (agg && agg.n >= t.childMinTxns && agg.cents < t.childMaxAvgCents * agg.n) yield customer;
    }
  },
};
