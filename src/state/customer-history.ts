import { add, square, type Decimal, type DecimalSum } from "../decimal";
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

  /** Adds an amount in place: with no allocation while the sums are safe integers at the amount's scale. */
  add(amount: Decimal): void {
    this.n++;
    const units = amount.units;
    if (typeof units === "number" && amount.scale === this.sum.scale && typeof this.sum.units === "number" && typeof this.sumSquares.units === "number") {
      const sum = this.sum.units + units;
      const sumSquares = this.sumSquares.units + units * units; // not safe whenever units² is not
      if (Number.isSafeInteger(sum) && Number.isSafeInteger(sumSquares)) {
        this.sum.units = sum;
        this.sumSquares.units = sumSquares;
        return;
      }
    }
    this.restore(this.n, add(this.sum, amount), add(this.sumSquares, square(amount)));
  }

  restore(n: number, sum: Decimal, sumSquares: Decimal): void {
    this.n = n;
    this.sum.units = sum.units;
    this.sum.scale = sum.scale;
    this.sumSquares.units = sumSquares.units;
    this.sumSquares.scale = sumSquares.scale;
  }
}
