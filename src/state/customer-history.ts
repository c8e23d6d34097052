import { add, square, ZERO, type Decimal } from "../decimal";
import type { Moments } from "../patterns/deviation";

/**
 * One customer's valid transactions so far, at every merchant: what ANOMALY
 * compares the next one with. `sumSquares` is kept at twice the scale of `sum`.
 */
export class CustomerHistory implements Moments {
  n = 0;
  sum: Decimal = ZERO;
  sumSquares: Decimal = ZERO;
  /** Changed since the partition's last checkpoint. */
  dirty = false;

  constructor(readonly customer: string) {}

  add(amount: Decimal): void {
    this.n++;
    this.sum = add(this.sum, amount);
    this.sumSquares = add(this.sumSquares, square(amount));
  }

  restore(n: number, sum: Decimal, sumSquares: Decimal): void {
    this.n = n;
    this.sum = sum;
    this.sumSquares = sumSquares;
  }
}
