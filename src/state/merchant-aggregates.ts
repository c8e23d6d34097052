import type { Transaction } from "../csv/transactions";
import { addTo, type Decimal, type DecimalSum } from "../decimal";
import type { CustomerView, MerchantView } from "../patterns/merchant-view";
import type { Probability } from "../quantile";
import { MerchantOrderIndex, type IndexedCustomer } from "./merchant-order-index";

/** A customer's aggregate at a merchant, which applying transactions updates. */
export interface CustomerAggregate extends CustomerView, IndexedCustomer {
  n: number;
  readonly amount: DecimalSum;
  /** The merchant's chunk when a transaction last changed it (see `touched`). */
  touchedIn: number;
  /** Changed since the merchant's last `takeDirty`. */
  dirty: boolean;
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
  /** Customers the current chunk changed, in the order it first changed them; reset by beginChunk. */
  touched: CustomerAggregate[] = [];
  /** The chunk `touched` is about, as numbered by the caller of beginChunk. */
  chunk = 0;
  /** Customers changed since the last takeDirty. */
  private dirty: CustomerAggregate[] = [];
  /** Built on the first order statistic asked for (only merchants above UPGRADE's minimum ask), then kept up to date by `reindex`. */
  private index: MerchantOrderIndex | undefined;

  /** `weights`: the merchant's importance data, w(c,m) by customer. */
  constructor(
    readonly merchant: string,
    private readonly weights: ReadonlyMap<string, number>,
  ) {}

  /** Starts chunk `chunk` (numbers grow from 1): `touched` empties. */
  beginChunk(chunk: number): void {
    this.chunk = chunk;
    this.touched = [];
  }

  add(txn: Transaction): void {
    let agg = this.customers.get(txn.customer);
    if (!agg) agg = this.addCustomer(txn.customer, txn.gender, this.weights.get(txn.customer));
    agg.n++;
    addTo(agg.amount, txn.amount, "transaction amount");
    this.txnCount++;
    if (agg.touchedIn !== this.chunk) {
      agg.touchedIn = this.chunk;
      this.touched.push(agg);
    }
    if (!agg.dirty) {
      agg.dirty = true;
      this.dirty.push(agg);
    }
  }

  /** Puts back a customer aggregate as it was committed, replacing one put back before. */
  restore(customer: string, n: number, amount: Decimal, gender: string): void {
    const agg = this.customers.get(customer) ?? this.addCustomer(customer, gender, this.weights.get(customer));
    this.txnCount -= agg.n;
    agg.n = n;
    agg.amount.units = amount.units;
    agg.amount.scale = amount.scale;
    this.txnCount += n;
    this.index = undefined;
  }

  /** Customers changed since the last call, as they are now; forgets them. */
  takeDirty(): CustomerAggregate[] {
    const dirty = this.dirty;
    for (const agg of dirty) agg.dirty = false;
    this.dirty = [];
    return dirty;
  }

  markEmitted(patternId: string, customer: string): void {
    this.emitted.add(`${patternId}|${customer}`);
    const agg = this.customers.get(customer);
    if (agg) this.index?.retire(patternId, agg);
  }

  /** Brings the order statistics up to the aggregates the current chunk changed. */
  reindex(): void {
    if (this.index) for (const agg of this.touched) this.indexCustomer(this.index, agg);
  }

  readonly countAt = (i: number): number => this.orderIndex().countAt(i);

  readonly weightAt = (i: number): number => this.orderIndex().weightAt(i);

  readonly unemittedCustomers = (patternId: string, maxWeight: number, minCount: Pick<Probability, "num" | "den">): readonly string[] =>
    this.orderIndex().unemitted(patternId, maxWeight, minCount, (customer) => this.emitted.has(`${patternId}|${customer}`));

  private orderIndex(): MerchantOrderIndex {
    if (this.index) return this.index;
    const index = new MerchantOrderIndex(this.weights.values());
    for (const agg of this.customers.values()) this.indexCustomer(index, agg);
    this.index = index;
    return index;
  }

  private indexCustomer(index: MerchantOrderIndex, agg: CustomerAggregate): void {
    if (!index.update(agg)) {
      throw new Error(`merchant ${this.merchant}: customer ${agg.customer} has weight ${agg.weight}, which the merchant's importance data does not hold`);
    }
  }

  private addCustomer(customer: string, gender: string, weight: number | undefined): CustomerAggregate {
    const agg: CustomerAggregate = {
      customer,
      n: 0,
      amount: { units: 0, scale: 0 },
      gender,
      weight,
      touchedIn: 0,
      dirty: false,
      indexedBy: undefined,
      indexEntry: -1,
    };
    this.customers.set(customer, agg);
    if (gender === "F") this.femaleCustomers++;
    else if (gender === "M") this.maleCustomers++;
    if (weight !== undefined) this.weightedCustomers++;
    return agg;
  }
}
