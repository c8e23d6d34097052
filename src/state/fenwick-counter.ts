/**
 * How many elements sit at each index 0, 1, 2, ... (a Fenwick tree): adding
 * one and finding the index of the k-th smallest element both take
 * O(log size). It grows when an index beyond its size is added.
 */
export class FenwickCounter {
  /** 1-based partial sums; `size` (a power of two) is tree.length - 1. */
  private tree: Int32Array;
  private count = 0;

  constructor(size: number) {
    this.tree = new Int32Array(powerOfTwoAtLeast(size) + 1);
  }

  add(index: number, delta: number): void {
    if (index >= this.size) this.grow(index + 1);
    const tree = this.tree;
    for (let i = index + 1; i < tree.length; i += i & -i) tree[i] += delta;
    this.count += delta;
  }

  /** The index holding the k-th smallest element (0-based). */
  indexOf(k: number): number {
    if (k < 0 || k >= this.count) throw new RangeError(`element ${k} of ${this.count}`);
    const tree = this.tree;
    let pos = 0;
    let rest = k;
    for (let step = this.size; step > 0; step >>= 1) {
      const next = pos + step;
      if (next < tree.length && tree[next] <= rest) {
        pos = next;
        rest -= tree[next];
      }
    }
    return pos;
  }

  private get size(): number {
    return this.tree.length - 1;
  }

  /** Doubling keeps every old node's range; of the new ones, only the last (the whole range) is not empty. */
  private grow(size: number): void {
    let grown = this.tree;
    while (grown.length - 1 < size) {
      const next = new Int32Array(2 * (grown.length - 1) + 1);
      next.set(grown);
      next[next.length - 1] = this.count;
      grown = next;
    }
    this.tree = grown;
  }
}

export function powerOfTwoAtLeast(n: number): number {
  let size = 1;
  while (size < n) size *= 2;
  return size;
}
