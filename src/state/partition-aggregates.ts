import type { Transaction } from "../csv/transactions";
import type { Decimal } from "../decimal";
import type { FiredDetection } from "../detection";
import type { PatternRule, PatternThresholds } from "../patterns";
import { MerchantAggregates } from "./merchant-aggregates";

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
  /** Merchants with aggregates changed since the last checkpoint. */
  private dirty = new Set<MerchantAggregates>();
  /** Chunks applied by this object, to tell a merchant touched by the current one. */
  private chunks = 0;
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

  /** Aggregates changed since the last checkpoint, as they are now (later chunks do not change these rows); forgets them. */
  takeDirty(): PairRow[] {
    const rows: PairRow[] = [];
    for (const merchant of this.dirty) {
      for (const agg of merchant.takeDirty()) {
        rows.push({
          merchant: merchant.merchant,
          customer: agg.customer,
          n: agg.n,
          amount: { units: agg.amount.units, scale: agg.amount.scale },
          gender: agg.gender,
        });
      }
    }
    this.dirty = new Set();
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
    const chunk = ++this.chunks;
    const touched: MerchantAggregates[] = [];
    let last: MerchantAggregates | undefined;
    for (const txn of rows) {
      // Rows of one merchant often come together; the lookup is skipped for them.
      const merchant = last?.merchant === txn.merchant ? last : this.merchant(txn.merchant);
      if (merchant.chunk !== chunk) {
        merchant.beginChunk(chunk);
        touched.push(merchant);
        this.dirty.add(merchant);
      }
      merchant.add(txn);
      last = merchant;
    }
    for (const merchant of touched) merchant.reindex();
    const evaluated = reevaluateAll
      ? [...this.merchants.values()].map((m) => [m, [...m.customers.values()]] as const)
      : touched.map((m) => [m, m.touched] as const);
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
