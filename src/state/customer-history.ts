import { addDecimalTo, addSquareTo, type Decimal, type DecimalSum } from "../decimal";
import type { Moments } from "../patterns/deviation";

/**
 * One customer's valid transactions so far, at every merchant: what ANOMALY
 * compares the next one with. `sumSquares` is kept at twice the scale of `sum`.
 */
export class CustomerHistory implements Moments {
  n = 0;
  readonly sum: DecimalSum = { units: 0, scale: 0 };
  readonly sumSquares: DecimalSum = { units: 0, scale: 0 };
  /** Changed since the partition's last checkpoint. */
  dirty = false;

  constructor(readonly customer: string) {}

  /** Adds an amount in place, allocating nothing while the sums are safe integers. */
  add(amount: Decimal): void {
    this.n++;
    addDecimalTo(this.sum, amount);
    addSquareTo(this.sumSquares, amount);
  }

  restore(n: number, sum: Decimal, sumSquares: Decimal): void {
    this.n = n;
    this.sum.units = sum.units;
    this.sum.scale = sum.scale;
    this.sumSquares.units = sumSquares.units;
    this.sumSquares.scale = sumSquares.scale;
  }
}
