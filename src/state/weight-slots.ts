/**
 * One merchant's weights in ascending order, each a numbered slot, fixed when
 * built; equal weights get consecutive slots. A customer takes a free slot of
 * its weight once, so slots order customers by weight.
 */
export class WeightSlots {
  private readonly sorted: Float64Array;
  /** taken[first slot of a run of equal weights]: how many slots of that run are taken. */
  private readonly taken: Int32Array;

  constructor(weights: Iterable<number>) {
    this.sorted = Float64Array.from(weights).sort();
    this.taken = new Int32Array(this.sorted.length);
  }

  get length(): number {
    return this.sorted.length;
  }

  weightAt(slot: number): number {
    return this.sorted[slot];
  }

  /** A free slot for `weight`, or -1 when none of its slots is free (or it has none). */
  take(weight: number): number {
    const first = this.countBelow(weight);
    const slot = first + this.taken[first];
    if (slot >= this.sorted.length || this.sorted[slot] !== weight) return -1;
    this.taken[first]++;
    return slot;
  }

  /** How many slots hold a weight <= `weight`. */
  countAtMost(weight: number): number {
    return this.firstWhere((w) => w > weight);
  }

  private countBelow(weight: number): number {
    return this.firstWhere((w) => w >= weight);
  }

  /** The first slot whose weight passes `test`, which fails for a prefix of the slots and passes for the rest. */
  private firstWhere(test: (w: number) => boolean): number {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (test(this.sorted[mid])) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
