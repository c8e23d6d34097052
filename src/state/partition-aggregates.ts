import type { Transaction } from "../csv/transactions";
import { readInto, type DecimalSum } from "../decimal";
import type { FiredDetection } from "../detection";
import { transactionSettings, type PatternRule, type PatternThresholds, type TransactionRule } from "../patterns";
import { PackedHistories, PackedPairs } from "../storage/pair-checkpoints";
import type { ChunkCategoryStats } from "./category-stats";
import { CustomerHistory } from "./customer-history";
import { MerchantAggregates, type CustomerAggregate } from "./merchant-aggregates";

/** The importance data of one partition in full: w(c,m) by merchant, then customer. */
export type PartitionWeights = ReadonlyMap<string, ReadonlyMap<string, number>>;

const NO_WEIGHTS: ReadonlyMap<string, number> = new Map();

/**
 * The in-memory state of one partition as of chunk `appliedSeq`: the
 * aggregates of the merchants that hash to it, and the histories of the
 * customers that hash to it. Applying a chunk mutates it in place; a caller
 * whose commit fails throws it away and reloads, which is simpler and cheaper
 * than undo. It remembers what changed since its last checkpoint.
 */
export class PartitionAggregates {
  readonly merchants = new Map<string, MerchantAggregates>();
  /** Every transaction so far of each customer of the partition, at any merchant. */
  readonly histories = new Map<string, CustomerHistory>();
  /** Merchants with aggregates changed since the last checkpoint. */
  private dirty = new Set<MerchantAggregates>();
  private dirtyHistories: CustomerHistory[] = [];
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

  history(customer: string): CustomerHistory {
    let h = this.histories.get(customer);
    if (!h) {
      h = new CustomerHistory(customer);
      this.histories.set(customer, h);
    }
    return h;
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
  takeCheckpoint(): { fullSet: boolean; pairs: PackedPairs; histories: PackedHistories } {
    const changed = new PackedPairs();
    for (const merchant of this.dirty) for (const agg of merchant.takeDirty()) pack(changed, merchant, agg);
    this.dirty = new Set();
    const changedHistories = new PackedHistories();
    for (const h of this.dirtyHistories) {
      h.dirty = false;
      changedHistories.add(h);
    }
    this.dirtyHistories = [];
    let entries = this.histories.size;
    for (const merchant of this.merchants.values()) entries += merchant.customers.size;
    if (this.loggedPairs + changed.count + changedHistories.count <= 2 * entries) {
      this.loggedPairs += changed.count + changedHistories.count;
      return { fullSet: false, pairs: changed, histories: changedHistories };
    }
    const all = new PackedPairs();
    for (const merchant of this.merchants.values()) for (const agg of merchant.customers.values()) pack(all, merchant, agg);
    const allHistories = new PackedHistories();
    for (const h of this.histories.values()) allHistories.add(h);
    this.loggedPairs = all.count + allHistories.count;
    return { fullSet: true, pairs: all, histories: allHistories };
  }

  /**
   * Judges a chunk's transactions whose customers hash to this partition, in
   * row order, each against its customer's history before it; then adds it to
   * that history. Returns a detection per transaction and rule that fired;
   * counts every transaction by category into `stats`.
   */
  judge(rows: readonly Transaction[], rules: readonly TransactionRule[], thresholds: PatternThresholds, stats?: ChunkCategoryStats): FiredDetection[] {
    const settings = transactionSettings(thresholds);
    const fired: FiredDetection[] = [];
    // Read in place: the rules and the history take it by value during the row.
    const amount: DecimalSum = { units: 0, scale: 0 };
    const firedForRow: string[] = [];
    for (const txn of rows) {
      readInto(amount, txn.amount, "transaction amount");
      const history = this.histories.get(txn.customer);
      firedForRow.length = 0;
      for (const rule of rules) {
        if (rule.fires(txn, amount, history, settings)) {
          firedForRow.push(rule.patternId);
          fired.push({
            patternId: rule.patternId,
            actionType: rule.actionType,
            customer: txn.customer,
            merchant: txn.merchant,
            amount: txn.amount,
            line: txn.line,
            explanation: rule.explain(txn, amount, history, settings),
          });
        }
      }
      stats?.count(txn, amount, firedForRow);
      const h = history ?? this.history(txn.customer);
      h.add(amount);
      if (!h.dirty) {
        h.dirty = true;
        this.dirtyHistories.push(h);
      }
    }
    return fired;
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
          fired.push({
            patternId: rule.patternId,
            actionType: rule.actionType,
            customer,
            merchant: merchant.merchant,
            explanation: rule.explain(merchant, customer, thresholds),
          });
        }
      }
    }
    return fired;
  }
}

function pack(into: PackedPairs, merchant: MerchantAggregates, agg: CustomerAggregate): void {
  into.add(merchant.merchant, agg.customer, agg.n, agg.amount, agg.gender);
}
