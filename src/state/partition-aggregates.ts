import type { Transaction } from "../csv/transactions";
import type { Decimal } from "../decimal";
import type { FiredDetection } from "../detection";
import type { PatternRule, PatternThresholds } from "../patterns";
import { MerchantAggregates, type CustomerAggregate } from "./merchant-aggregates";

/** The importance data of one partition in full: w(c,m) by merchant, then customer. */
export type PartitionWeights = ReadonlyMap<string, ReadonlyMap<string, number>>;

const NO_WEIGHTS: ReadonlyMap<string, number> = new Map();

/** One customer-merchant aggregate as it is persisted. */
export interface PairRow {
  readonly merchant: string;
  readonly customer: string;
  readonly n: number;
  /** Sum of the amounts, exact. */
  readonly amount: Decimal;
  readonly gender: string;
}

/**
 * The in-memory aggregates of one partition as of chunk `appliedSeq`. Applying a
 * chunk mutates it in place; a caller whose commit fails throws it away and
 * reloads, which is simpler and cheaper than undo. It remembers which
 * aggregates changed since its last checkpoint.
 */
export class PartitionAggregates {
  readonly merchants = new Map<string, MerchantAggregates>();
  private dirty = new Map<MerchantAggregates, Set<string>>();
  /** The chunk the database holds this partition at, as far as this node knows; `appliedSeq` may be ahead of it while commits run. */
  committedSeq: number;

  constructor(
    readonly partition: number,
    public appliedSeq: number,
    /** The chunk the persisted aggregates reflect; chunks after it are replayed on load. */
    public checkpointSeq: number,
    /** The partition's importance data: w(c,m) by merchant and customer. */
    private readonly weights: PartitionWeights,
    /** Which importance data the weights come from (see ApplyRequest.weightsVersion). */
    readonly weightsVersion: number,
  ) {
    this.committedSeq = appliedSeq;
  }

  merchant(id: string): MerchantAggregates {
    let m = this.merchants.get(id);
    if (!m) {
      m = new MerchantAggregates(id, this.weights.get(id) ?? NO_WEIGHTS);
      this.merchants.set(id, m);
    }
    return m;
  }

  markEmitted(patternId: string, merchant: string, customer: string): void {
    this.merchant(merchant).markEmitted(patternId, customer);
  }

  /** Aggregates changed since the last checkpoint; forgets them. */
  takeDirty(): PairRow[] {
    const rows: PairRow[] = [];
    for (const [merchant, customers] of this.dirty) {
      for (const customer of customers) {
        const agg = merchant.customers.get(customer)!;
        rows.push({ merchant: merchant.merchant, customer, n: agg.n, amount: agg.amount, gender: agg.gender });
      }
    }
    this.dirty = new Map();
    return rows;
  }

  /**
   * Applies a chunk's rows of this partition, brings the touched merchants'
   * order statistics up to date once per customer, then evaluates every rule
   * on the merchants it touched (on every merchant and customer when
   * `reevaluateAll`: the thresholds changed with this chunk, so a verdict may
   * change without a new row); returns the detections that fired for the
   * first time.
   */
  apply(rows: readonly Transaction[], rules: readonly PatternRule[], thresholds: PatternThresholds, reevaluateAll = false): FiredDetection[] {
    const touched = new Map<MerchantAggregates, Map<string, CustomerAggregate>>();
    for (const txn of rows) {
      const merchant = this.merchant(txn.merchant);
      const agg = merchant.add(txn);
      let customers = touched.get(merchant);
      if (!customers) touched.set(merchant, (customers = new Map<string, CustomerAggregate>()));
      customers.set(txn.customer, agg);
    }
    for (const [merchant, customers] of touched) {
      const dirty = this.dirty.get(merchant);
      if (dirty) for (const c of customers.keys()) dirty.add(c);
      else this.dirty.set(merchant, new Set(customers.keys()));
      merchant.reindex(customers);
    }
    const evaluated: ReadonlyMap<MerchantAggregates, ReadonlyMap<string, CustomerAggregate>> = reevaluateAll
      ? new Map([...this.merchants.values()].map((m) => [m, m.customers]))
      : touched;
    const fired: FiredDetection[] = [];
    for (const [merchant, customers] of evaluated) {
      for (const rule of rules) {
        for (const customer of rule.matches(merchant, customers, thresholds)) {
          if (merchant.emitted.has(`${rule.patternId}|${customer}`)) continue;
          merchant.markEmitted(rule.patternId, customer);
          fired.push({ patternId: rule.patternId, actionType: rule.actionType, customer, merchant: merchant.merchant });
        }
      }
    }
    return fired;
  }
}
