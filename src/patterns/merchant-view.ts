import type { Decimal } from "../decimal";

/** What a rule reads about one customer at a merchant. */
export interface CustomerView {
  /** n(c,m): valid transactions of the customer at the merchant. */
  readonly n: number;
  /** Sum of their amounts, exact. */
  readonly amount: Decimal;
  /** Gender on the customer's first transaction at the merchant. */
  readonly gender: string;
  /** w(c,m), when the importance data has the pair. */
  readonly weight: number | undefined;
}

/** A read-only view of one merchant's cumulative aggregates: all a rule may see. */
export interface MerchantView {
  readonly merchant: string;
  readonly customers: ReadonlyMap<string, CustomerView>;
  /** N(m). */
  readonly txnCount: number;
  /** Distinct customers whose gender at this merchant is F / M. */
  readonly femaleCustomers: number;
  readonly maleCustomers: number;
  /** Customers that have a weight. */
  readonly weightedCustomers: number;
  /** The i-th smallest n(c,m) (0-based). */
  readonly countAt: (i: number) => number;
  /** The i-th smallest weight among customers with one (0-based). */
  readonly weightAt: (i: number) => number;
}
