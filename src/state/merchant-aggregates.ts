import type { Transaction } from "../csv/transactions";
import { add, decimalOf, ZERO, type Decimal } from "../decimal";
import type { CustomerView, MerchantView } from "../patterns/merchant-view";
import type { Probability } from "../quantile";
import { MerchantOrderIndex } from "./merchant-order-index";

/** A customer's aggregate at a merchant, which applying transactions updates. */
export interface CustomerAggregate extends CustomerView {
  n: number;
  amount: Decimal;
}

/** w(c,m) for the pairs of one partition. */
export type WeightLookup = (merchant: string, customer: string) => number | undefined;

/** Everything the patterns know about one merchant: its customers' aggregates and what already fired. */
export class MerchantAggregates implements MerchantView {
  readonly customers = new Map<string, CustomerAggregate>();
  /** N(m). */
  txnCount = 0;
  /** Distinct customers whose gender at this merchant is F / M. */
  femaleCustomers = 0;
  maleCustomers = 0;
  /** Customers that have a weight. */
  weightedCustomers = 0;
  /** Detections already emitted, as `${patternId}|${customer}`; add through markEmitted. */
  readonly emitted = new Set<string>();
  /** Built on the first order statistic asked for (only merchants above UPGRADE's minimum ask), then kept up to date by `reindex`. */
  private index: MerchantOrderIndex | undefined;

  /** `knownWeights`: the merchant's importance data (w by customer), when known in full; otherwise weights come as customers do. */
  constructor(
    readonly merchant: string,
    private readonly knownWeights?: ReadonlyMap<string, number>,
  ) {}

  /** `weightOf` is asked for a customer's weight when it is new to the merchant. */
  add(txn: Transaction, weightOf: WeightLookup): CustomerAggregate {
    let agg = this.customers.get(txn.customer);
    if (!agg) agg = this.addCustomer(txn.customer, txn.gender, weightOf(this.merchant, txn.customer));
    agg.n++;
    agg.amount = add(agg.amount, decimalOf(txn.amount, "transaction amount"));
    this.txnCount++;
    return agg;
  }

  /** Puts back a customer aggregate as it was committed. */
  restore(customer: string, n: number, amount: Decimal, gender: string, weight: number | undefined): void {
    const agg = this.addCustomer(customer, gender, weight);
    agg.n = n;
    agg.amount = amount;
    this.txnCount += n;
    this.index = undefined;
  }

  markEmitted(patternId: string, customer: string): void {
    this.emitted.add(`${patternId}|${customer}`);
    this.index?.retire(patternId, customer);
  }

  /** Brings the order statistics up to the aggregates of customers that transactions changed since the last call. */
  reindex(changed: ReadonlyMap<string, CustomerAggregate>): void {
    const index = this.index;
    if (!index) return;
    for (const [customer, agg] of changed) {
      if (!index.update(customer, agg)) {
        this.index = undefined; // a weight the index was not built with: rebuilt on next use
        return;
      }
    }
  }

  readonly countAt = (i: number): number => this.orderIndex().countAt(i);

  readonly weightAt = (i: number): number => this.orderIndex().weightAt(i);

  readonly unemittedCustomers = (patternId: string, maxWeight: number, minCount: Pick<Probability, "num" | "den">): readonly string[] =>
    this.orderIndex().unemitted(patternId, maxWeight, minCount, (customer) => this.emitted.has(`${patternId}|${customer}`));

  private orderIndex(): MerchantOrderIndex {
    if (this.index) return this.index;
    const index = new MerchantOrderIndex(this.knownWeights?.values() ?? this.customerWeights());
    for (const [customer, agg] of this.customers) {
      if (!index.update(customer, agg)) {
        throw new Error(`merchant ${this.merchant}: customer ${customer} has weight ${agg.weight}, which the merchant's importance data does not hold`);
      }
    }
    this.index = index;
    return index;
  }

  private *customerWeights(): Iterable<number> {
    for (const { weight } of this.customers.values()) if (weight !== undefined) yield weight;
  }

  private addCustomer(customer: string, gender: string, weight: number | undefined): CustomerAggregate {
    const agg: CustomerAggregate = { n: 0, amount: ZERO, gender, weight };
    this.customers.set(customer, agg);
    if (gender === "F") this.femaleCustomers++;
    else if (gender === "M") this.maleCustomers++;
    if (weight !== undefined) this.weightedCustomers++;
    return agg;
  }
}
