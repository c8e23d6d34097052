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

  /** `weights`: the merchant's importance data, w(c,m) by customer. */
  constructor(
    readonly merchant: string,
    private readonly weights: ReadonlyMap<string, number>,
  ) {}

  add(txn: Transaction): CustomerAggregate {
    let agg = this.customers.get(txn.customer);
    if (!agg) agg = this.addCustomer(txn.customer, txn.gender, this.weights.get(txn.customer));
    agg.n++;
    agg.amount = add(agg.amount, decimalOf(txn.amount, "transaction amount"));
    this.txnCount++;
    return agg;
  }

  /** Puts back a customer aggregate as it was committed. */
  restore(customer: string, n: number, amount: Decimal, gender: string): void {
    const agg = this.addCustomer(customer, gender, this.weights.get(customer));
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
    if (this.index) for (const [customer, agg] of changed) this.indexCustomer(this.index, customer, agg);
  }

  readonly countAt = (i: number): number => this.orderIndex().countAt(i);

  readonly weightAt = (i: number): number => this.orderIndex().weightAt(i);

  readonly unemittedCustomers = (patternId: string, maxWeight: number, minCount: Pick<Probability, "num" | "den">): readonly string[] =>
    this.orderIndex().unemitted(patternId, maxWeight, minCount, (customer) => this.emitted.has(`${patternId}|${customer}`));

  private orderIndex(): MerchantOrderIndex {
    if (this.index) return this.index;
    const index = new MerchantOrderIndex(this.weights.values());
    for (const [customer, agg] of this.customers) this.indexCustomer(index, customer, agg);
    this.index = index;
    return index;
  }

  private indexCustomer(index: MerchantOrderIndex, customer: string, agg: CustomerAggregate): void {
    if (!index.update(customer, agg)) {
      throw new Error(`merchant ${this.merchant}: customer ${customer} has weight ${agg.weight}, which the merchant's importance data does not hold`);
    }
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
