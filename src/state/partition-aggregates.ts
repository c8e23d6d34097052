import type { Transaction } from "../csv/transactions";
import type { FiredDetection } from "../detection";
import type { PatternRule, PatternThresholds } from "../patterns";
import { PackedPairs } from "../storage/pair-checkpoints";
import { MerchantAggregates, type CustomerAggregate } from "./merchant-aggregates";

/** The importance data of one partition in full: w(c,m) by merchant, then customer. */
export type PartitionWeights = ReadonlyMap<string, ReadonlyMap<string, number>>;

const NO_WEIGHTS: ReadonlyMap<string, number> = new Map();

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
  /** Pairs in the partition's checkpoint log since its last full set: what a load reads back. */
  loggedPairs = 0;
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

  /**
   * What to persist at a checkpoint, as it is now (later chunks do not change
   * it): the aggregates changed since the last one, or all of them once the log
   * would otherwise hold more than twice the partition's pairs, which bounds
   * what a load reads. Forgets what changed.
   */
  takeCheckpoint(): { fullSet: boolean; pairs: PackedPairs } {
    const changed = new PackedPairs();
    for (const merchant of this.dirty) for (const agg of merchant.takeDirty()) pack(changed, merchant, agg);
    this.dirty = new Set();
    let pairs = 0;
    for (const merchant of this.merchants.values()) pairs += merchant.customers.size;
    if (this.loggedPairs + changed.count <= 2 * pairs) {
      this.loggedPairs += changed.count;
      return { fullSet: false, pairs: changed };
    }
    const all = new PackedPairs();
    for (const merchant of this.merchants.values()) for (const agg of merchant.customers.values()) pack(all, merchant, agg);
    this.loggedPairs = all.count;
    return { fullSet: true, pairs: all };
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

function pack(into: PackedPairs, merchant: MerchantAggregates, agg: CustomerAggregate): void {
  into.add(merchant.merchant, agg.customer, agg.n, agg.amount, agg.gender);
}
