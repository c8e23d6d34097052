import type { Transaction } from "../csv/transactions";

export interface CustomerAggregate {
  /** n(c,m): valid transactions of the customer at the merchant. */
  n: number;
  /** Sum of their amounts in cents. */
  cents: number;
  /** Gender on the customer's first transaction at the merchant. */
  readonly gender: string;
  /** w(c,m), when the importance data has the pair. */
  readonly weight: number | undefined;
}

/** Everything the patterns know about one merchant: its customers' aggregates and what already fired. */
export class MerchantAggregates {
  readonly customers = new Map<string, CustomerAggregate>();
  /** N(m). */
  txnCount = 0;
  /** Distinct customers whose gender at this merchant is F / M. */
  femaleCustomers = 0;
  maleCustomers = 0;
  /** Detections already emitted, as `${patternId}|${customer}`. */
  readonly emitted = new Set<string>();

  constructor(readonly merchant: string) {}

  add(txn: Transaction, weight: number | undefined): CustomerAggregate {
    let agg = this.customers.get(txn.customer);
    if (!agg) agg = this.addCustomer(txn.customer, txn.gender, weight);
    agg.n++;
    agg.cents += txn.cents;
    this.txnCount++;
    return agg;
  }

  /** Puts back a customer aggregate as it was committed. */
  restore(customer: string, n: number, cents: number, gender: string, weight: number | undefined): void {
    const agg = this.addCustomer(customer, gender, weight);
    agg.n = n;
    agg.cents = cents;
    this.txnCount += n;
  }

  private addCustomer(customer: string, gender: string, weight: number | undefined): CustomerAggregate {
    const agg: CustomerAggregate = { n: 0, cents: 0, gender, weight };
    this.customers.set(customer, agg);
    if (gender === "F") this.femaleCustomers++;
    else if (gender === "M") this.maleCustomers++;
    return agg;
  }
}
