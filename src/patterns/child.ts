import { compare, decimalOf, divideDown, formatDecimal, multiply } from "../decimal";
import { FIGURE_DECIMALS } from "./explanation";
import type { PatternRule } from "./rule";

/** PatId2: n(c,m) >= min and avg(c,m) < max, i.e. sum < max * n, exactly. */
export const child: PatternRule = {
  patternId: "PatId2",
  actionType: "CHILD",
  *matches(_merchant, touched, t) {
    const maxAvg = decimalOf(t.childMaxAvgAmount, "CHILD_MAX_AVG_AMOUNT");
    for (const agg of touched) {
      if (agg.n >= t.childMinTxns && compare(agg.amount, multiply(maxAvg, agg.n)) < 0) yield agg.customer;
    }
  },
  explain(merchant, customer) {
    const { n, amount } = merchant.customers.get(customer)!;
    return { n, avg: formatDecimal(divideDown(amount, n, FIGURE_DECIMALS)) };
  },
};
