import { powerOfTwoAtLeast } from "./fenwick-counter";

/**
 * A value per position 0..length-1 (a segment tree of maxima): setting one is
 * O(log length), and finding the positions below an end whose value reaches a
 * bound costs O(log length) per position found, since it only descends into
 * subtrees whose maximum reaches the bound.
 */
export class MaxTree {
  private readonly size: number;
  /** tree[1] is the root; node i has children 2i and 2i+1; leaves start at `size`. */
  private readonly tree: Int32Array;

  /** `values` are the leaves; positions past them hold `empty`. */
  constructor(values: Int32Array, empty: number) {
    this.size = powerOfTwoAtLeast(values.length);
    const tree = new Int32Array(2 * this.size).fill(empty);
    tree.set(values, this.size);
    for (let node = this.size - 1; node >= 1; node--) tree[node] = Math.max(tree[2 * node], tree[2 * node + 1]);
    this.tree = tree;
  }

  get(position: number): number {
    return this.tree[this.size + position];
  }

  set(position: number, value: number): void {
    const tree = this.tree;
    let node = this.size + position;
    const raised = value >= tree[node];
    tree[node] = value;
    if (raised) {
      // The common case (a count grew): ancestors change only while they are below it.
      for (node >>= 1; node >= 1 && tree[node] < value; node >>= 1) tree[node] = value;
      return;
    }
    for (node >>= 1; node >= 1; node >>= 1) {
      const max = Math.max(tree[2 * node], tree[2 * node + 1]);
      if (tree[node] === max) return;
      tree[node] = max;
    }
  }

  /** Positions below `end`, ascending, whose value v has v >= num / den (den > 0), compared exactly as v * den >= num. */
  positionsAtLeast(end: number, num: number, den: number): number[] {
    const found: number[] = [];
    const visit = (node: number, first: number, width: number): void => {
      if (first >= end || this.tree[node] * den < num) return;
      if (width === 1) {
        found.push(first);
        return;
      }
      const half = width >> 1;
      visit(2 * node, first, half);
      visit(2 * node + 1, first + half, half);
    };
    visit(1, 0, this.size);
    return found;
  }
}
