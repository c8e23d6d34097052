import type { Probability } from "../quantile";
import { FenwickCounter } from "./fenwick-counter";
import { MaxTree } from "./max-tree";
import { WeightSlots } from "./weight-slots";

/** What the index reads of a customer's aggregate, and where it keeps the customer (written by the index: no lookup per update). */
export interface IndexedCustomer {
  readonly customer: string;
  readonly n: number;
  readonly weight: number | undefined;
  /** The index holding the customer; its entry there. */
  indexedBy: MerchantOrderIndex | undefined;
  indexEntry: number;
}

/** A candidate tree's value for a slot with no customer, and for one whose customer the pattern has emitted. */
const EMPTY = -1;
const RETIRED = -2;

/**
 * Order statistics of one merchant, updated customer by customer: the i-th
 * smallest n(c,m), the i-th smallest weight among weighted customers, and, for
 * a pattern, its not-yet-emitted weighted customers by weight with their n, so
 * that "weight <= w and n >= t" costs time in proportion to the customers
 * found, never a scan of the merchant's customers.
 */
export class MerchantOrderIndex {
  private readonly slots: WeightSlots;
  /** How many customers have each n. */
  private readonly counts = new FenwickCounter(64);
  /** Which weight slots a customer holds. */
  private readonly present: FenwickCounter;
  private readonly customerAt: string[];
  /** n of the customer at each slot. */
  private readonly nAt: Int32Array;
  /** Per pattern id: n of the customer at each slot, EMPTY or RETIRED. */
  private readonly candidates = new Map<string, MaxTree>();
  /** The same trees, to visit without an iterator on every update. */
  private readonly candidateTrees: MaxTree[] = [];
  /** Entries handed out; each entry's n as counted and its slot (-1: no weight). */
  private entries = 0;
  private countedN = new Int32Array(64);
  private slotOf = new Int32Array(64);

  /** `weights`: every weight a customer of the merchant may have, one per customer. */
  constructor(weights: Iterable<number>) {
    this.slots = new WeightSlots(weights);
    this.present = new FenwickCounter(this.slots.length);
    this.customerAt = new Array<string>(this.slots.length);
    this.nAt = new Int32Array(this.slots.length);
  }

  /**
   * Brings a customer's entry up to its aggregate. False when its weight has no
   * free slot: the weights the index was built from lack it, and it must be rebuilt.
   */
  update(agg: IndexedCustomer): boolean {
    let entry = agg.indexEntry;
    if (agg.indexedBy !== this) {
      const slot = agg.weight === undefined ? -1 : this.slots.take(agg.weight);
      if (agg.weight !== undefined && slot < 0) return false;
      entry = this.newEntry(slot);
      agg.indexedBy = this;
      agg.indexEntry = entry;
      if (slot >= 0) {
        this.present.add(slot, 1);
        this.customerAt[slot] = agg.customer;
      }
    } else {
      this.counts.add(this.countedN[entry], -1);
    }
    this.counts.add(agg.n, 1);
    this.countedN[entry] = agg.n;
    const slot = this.slotOf[entry];
    if (slot >= 0) {
      this.nAt[slot] = agg.n;
      for (let t = 0; t < this.candidateTrees.length; t++) {
        const tree = this.candidateTrees[t];
        if (tree.get(slot) !== RETIRED) tree.set(slot, agg.n);
      }
    }
    return true;
  }

  /** The i-th smallest n(c,m) (0-based). */
  countAt(i: number): number {
    return this.counts.indexOf(i);
  }

  /** The i-th smallest weight among weighted customers (0-based). */
  weightAt(i: number): number {
    return this.slots.weightAt(this.present.indexOf(i));
  }

  /**
   * Weighted customers that `patternId` has not emitted, with weight <= maxWeight
   * and n >= minCount, in ascending weight. `emitted` is asked once per customer,
   * the first time the pattern asks; afterwards `retire` keeps it current.
   */
  unemitted(patternId: string, maxWeight: number, minCount: Pick<Probability, "num" | "den">, emitted: (customer: string) => boolean): string[] {
    let tree = this.candidates.get(patternId);
    if (!tree) {
      tree = this.candidateTree(emitted);
      this.candidates.set(patternId, tree);
      this.candidateTrees.push(tree);
    }
    return tree.positionsAtLeast(this.slots.countAtMost(maxWeight), minCount.num, minCount.den).map((slot) => this.customerAt[slot]);
  }

  /** `patternId` emitted the customer: it is no longer its candidate. */
  retire(patternId: string, agg: IndexedCustomer): void {
    const tree = this.candidates.get(patternId);
    if (tree && agg.indexedBy === this && this.slotOf[agg.indexEntry] >= 0) tree.set(this.slotOf[agg.indexEntry], RETIRED);
  }

  private candidateTree(emitted: (customer: string) => boolean): MaxTree {
    const values = new Int32Array(this.slots.length).fill(EMPTY);
    for (let slot = 0; slot < values.length; slot++) {
      const customer = this.customerAt[slot];
      if (customer !== undefined) values[slot] = emitted(customer) ? RETIRED : this.nAt[slot];
    }
    return new MaxTree(values, EMPTY);
  }

  private newEntry(slot: number): number {
    const entry = this.entries++;
    if (entry === this.slotOf.length) {
      this.countedN = grown(this.countedN);
      this.slotOf = grown(this.slotOf);
    }
    this.slotOf[entry] = slot;
    return entry;
  }
}

function grown(values: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const next = new Int32Array(2 * values.length);
  next.set(values);
  return next;
}
