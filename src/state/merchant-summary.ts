import { divideDown, formatDecimal } from "../decimal";
import type { MerchantAggregates } from "./merchant-aggregates";

export interface MerchantSummary {
  readonly merchant: string;
  readonly partition: number;
  readonly transactions: number;
  readonly customers: number;
  readonly femaleCustomers: number;
  readonly maleCustomers: number;
  readonly topCustomers: Array<{
    customer: string;
    transactions: number;
    /** Sum of the amounts, exact. */
    totalAmount: string;
    /** Cut off at two more decimals than the amounts (shown only when not zero): it never reads above the true average. */
    averageAmount: string;
    weight: number | null;
  }>;
}

/** The two extra decimals of an average when they are zeros (with the point, if the amounts had none). */
const EXTRA_ZEROS = /(\.00|0{1,2})$/;

/** A merchant's live aggregates, its most active customers first. */
export function summarizeMerchant(partition: number, merchant: string, m: MerchantAggregates | undefined, top = 10): MerchantSummary {
  const customers = m ? [...m.customers] : [];
  customers.sort(([ca, a], [cb, b]) => b.n - a.n || (ca < cb ? -1 : 1));
  return {
    merchant,
    partition,
    transactions: m?.txnCount ?? 0,
    customers: m?.customers.size ?? 0,
    femaleCustomers: m?.femaleCustomers ?? 0,
    maleCustomers: m?.maleCustomers ?? 0,
    topCustomers: customers.slice(0, top).map(([customer, a]) => ({
      customer,
      transactions: a.n,
      totalAmount: formatDecimal(a.amount),
      averageAmount: formatDecimal(divideDown(a.amount, a.n, a.amount.scale + 2)).replace(EXTRA_ZEROS, ""),
      weight: a.weight ?? null,
    })),
  };
}
