/**
 * Quantiles by linear interpolation (PostgreSQL percentile_cont, numpy's
 * default), computed with an exact rational position so that a threshold that
 * lands on a sample value compares equal to it.
 */

/** A probability as an exact fraction num/den, 0 <= num <= den. */
export interface Probability {
  readonly num: number;
  readonly den: number;
  readonly text: string;
}

const DECIMAL_FRACTION = /^(0|1)(?:\.(\d{1,6}))?$/;

export function parseProbability(text: string, what: string): Probability {
  const match = DECIMAL_FRACTION.exec(text.trim());
  if (!match) throw new Error(`${what} must be a decimal between 0 and 1 with at most 6 decimals, got "${text}"`);
  const decimals = match[2] ?? "";
  const den = 10 ** decimals.length;
  const num = Number(match[1]) * den + (decimals === "" ? 0 : Number(decimals));
  if (num > den) throw new Error(`${what} must be between 0 and 1, got "${text}"`);
  return { num, den, text: text.trim() };
}

/** Where the q-quantile of n sorted samples falls: between sample `index` and `index + 1`, `rem / den` of the way. */
export interface QuantilePosition {
  readonly index: number;
  readonly rem: number;
  readonly den: number;
}

export function quantilePosition(sampleCount: number, q: Probability): QuantilePosition {
  if (sampleCount <= 0) throw new Error("quantile of an empty set");
  const scaled = (sampleCount - 1) * q.num;
  return { index: Math.floor(scaled / q.den), rem: scaled % q.den, den: q.den };
}

/** Sample `i` (0-based) of n samples in ascending order. */
export type SampleAt = (i: number) => number;

/** The interpolated value; exact when the position is on a sample. */
export function quantileAt(count: number, valueAt: SampleAt, q: Probability): number {
  const { index, rem, den } = quantilePosition(count, q);
  const low = valueAt(index);
  if (rem === 0) return low;
  return low + ((valueAt(index + 1) - low) * rem) / den;
}

/** The q-quantile of integer samples as the exact fraction num / den. */
export function integerQuantileAt(count: number, valueAt: SampleAt, q: Probability): { num: number; den: number } {
  const { index, rem, den } = quantilePosition(count, q);
  const low = valueAt(index);
  return { num: low * den + (rem === 0 ? 0 : rem * (valueAt(index + 1) - low)), den };
}
