import type { Decimal } from "../decimal";
import type { Probability } from "../quantile";

/** What a rule reads about one customer at a merchant. */
export interface CustomerView {
  readonly customer: string;
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
  /**
   * Customers with a weight <= maxWeight and n(c,m) >= minCount (compared
   * exactly, n * den >= num) that `patternId` has not emitted yet, at a cost in
   * proportion to how many there are.
   */
  readonly unemittedCustomers: (patternId: string, maxWeight: number, minCount: Pick<Probability, "num" | "den">) => readonly string[];
}
