import { approximate, divideDown, formatDecimal, ZERO } from "../decimal";
import type { CustomerHistory } from "./customer-history";
import type { PartitionAggregates } from "./partition-aggregates";

/** A customer's transactions at one merchant. */
export interface CustomerAtMerchant {
  readonly merchant: string;
  readonly transactions: number;
  /** Sum of the amounts, exact. */
  readonly totalAmount: string;
}

export interface CustomerSummary {
  readonly customer: string;
  /** The partition that holds the customer's history. */
  readonly partition: number;
  readonly transactions: number;
  /** Sum of the amounts, exact. */
  readonly totalAmount: string;
  /** Cut off at two more decimals than the amounts: it never reads above the true mean. */
  readonly meanAmount: string | null;
  /** Population standard deviation (dividing by n), to 4 decimals: for reading, not for deciding. */
  readonly amountStdDev: string | null;
  readonly merchants: readonly CustomerAtMerchant[];
}

/** A customer's totals from its history, and its merchants (most transactions first). */
export function summarizeCustomer(
  partition: number,
  customer: string,
  h: CustomerHistory | undefined,
  merchants: readonly CustomerAtMerchant[],
): CustomerSummary {
  const n = h?.n ?? 0;
  const sum = h?.sum ?? ZERO;
  const spread = n === 0 ? 0 : Math.max(0, n * approximate(h!.sumSquares) - approximate(sum) ** 2);
  return {
    customer,
    partition,
    transactions: n,
    totalAmount: formatDecimal(sum),
    meanAmount: n === 0 ? null : formatDecimal(divideDown(sum, n, sum.scale + 2)),
    amountStdDev: n === 0 ? null : (Math.sqrt(spread) / n).toFixed(4),
    merchants: [...merchants].sort((a, b) => b.transactions - a.transactions || (a.merchant < b.merchant ? -1 : 1)),
  };
}

/** The customer's aggregates at the merchants of the partitions held here. */
export function customerAtMerchants(partitions: Iterable<PartitionAggregates>, customer: string): CustomerAtMerchant[] {
  const found: CustomerAtMerchant[] = [];
  for (const state of partitions) {
    for (const m of state.merchants.values()) {
      const agg = m.customers.get(customer);
      if (agg) found.push({ merchant: m.merchant, transactions: agg.n, totalAmount: formatDecimal(agg.amount) });
    }
  }
  return found;
}
