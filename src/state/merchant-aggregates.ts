import type { Transaction } from "../csv/transactions";
import { add, decimalOf, ZERO, type Decimal } from "../decimal";
import type { CustomerView, MerchantView } from "../patterns/merchant-view";

/** A customer's aggregate at a merchant, which applying transactions updates. */
export interface CustomerAggregate extends CustomerView {
  n: number;
  amount: Decimal;
}

/** Everything the patterns know about one merchant: its customers' aggregates and what already fired. */
export class MerchantAggregates implements MerchantView {
  readonly customers = new Map<string, CustomerAggregate>();
  /** N(m). */
  txnCount = 0;
  /** Distinct customers whose gender at this merchant is F / M. */
  femaleCustomers = 0;
  maleCustomers = 0;
  /** Detections already emitted, as `${patternId}|${customer}`. */
  readonly emitted = new Set<string>();
  /** countFrequency[n]: customers with n transactions, so order statistics of n(c,m) need no sort. */
  private readonly countFrequency: number[] = [0];
  /** Weights of the customers that have one, ascending once `weightsSorted`. */
  private readonly weights: number[] = [];
  private weightsSorted = true;

  constructor(readonly merchant: string) {}

  add(txn: Transaction, weight: number | undefined): CustomerAggregate {
    let agg = this.customers.get(txn.customer);
    if (!agg) agg = this.addCustomer(txn.customer, txn.gender, weight);
    if (agg.n > 0) this.countFrequency[agg.n]--;
    agg.n++;
    this.countFrequency[agg.n] = (this.countFrequency[agg.n] ?? 0) + 1;
    agg.amount = add(agg.amount, decimalOf(txn.amount, "transaction amount"));
    this.txnCount++;
    return agg;
  }

  /** Puts back a customer aggregate as it was committed. */
  restore(customer: string, n: number, amount: Decimal, gender: string, weight: number | undefined): void {
    const agg = this.addCustomer(customer, gender, weight, false);
    agg.n = n;
    agg.amount = amount;
    this.countFrequency[n] = (this.countFrequency[n] ?? 0) + 1;
    this.txnCount += n;
  }

  /** The i-th smallest n(c,m) (0-based). */
  readonly countAt = (i: number): number => {
    let seen = 0;
    for (let n = 1; n < this.countFrequency.length; n++) {
      seen += this.countFrequency[n] ?? 0;
      if (seen > i) return n;
    }
    throw new RangeError(`count ${i} of ${this.customers.size} customers`);
  };

  get weightedCustomers(): number {
    return this.weights.length;
  }

  /** The i-th smallest weight among customers with one (0-based). */
  readonly weightAt = (i: number): number => {
    if (!this.weightsSorted) {
      this.weights.sort((a, b) => a - b);
      this.weightsSorted = true;
    }
    return this.weights[i];
  };

  /** `keepSorted`: insert the weight in order (a live add) rather than append and sort on next read (a bulk restore). */
  private addCustomer(customer: string, gender: string, weight: number | undefined, keepSorted = true): CustomerAggregate {
    const agg: CustomerAggregate = { n: 0, amount: ZERO, gender, weight };
    this.customers.set(customer, agg);
    if (gender === "F") this.femaleCustomers++;
    else if (gender === "M") this.maleCustomers++;
    if (weight === undefined) return agg;
    if (keepSorted) this.insertWeight(weight);
    else {
      this.weights.push(weight);
      this.weightsSorted = false;
    }
    return agg;
  }

  private insertWeight(weight: number): void {
    if (!this.weightsSorted) {
      this.weights.push(weight);
      return;
    }
    let lo = 0;
    let hi = this.weights.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.weights[mid] <= weight) lo = mid + 1;
      else hi = mid;
    }
    this.weights.splice(lo, 0, weight);
  }
}
