import { approximate, POW10, unitsAt, type Decimal } from "../decimal";
import { cutOffEstimate, millionthsText, ratioFigure, ratioMillionths, sqrtRatioFigure } from "./explanation";

/** A customer's earlier transactions as ANOMALY reads them: count, exact sum and exact sum of squares. */
export interface Moments {
  readonly n: number;
  readonly sum: Decimal;
  /** Its scale is twice the sum's (see CustomerHistory). */
  readonly sumSquares: Decimal;
}

/** A non-negative factor as an exact fraction num/den. */
export interface Factor {
  readonly num: bigint;
  readonly den: bigint;
  /** num/den as a float, for the estimate. */
  readonly approx: number;
}

export function factorOf(d: Decimal): Factor {
  const num = BigInt(d.units);
  const den = 10n ** BigInt(d.scale);
  return { num, den, approx: approximate(d) };
}

/** Error margin of the float estimate, relative to the size of its terms: far above its real error (a few ulps), far below any real gap. */
const MARGIN = 64 * Number.EPSILON;
/**
 * Below this the estimate's terms are near or past the end of the normal
 * doubles (amounts with hundreds of decimals), where the margin means nothing.
 */
const SMALLEST_TRUSTED = 1e-250;

/**
 * SPEC.md's ANOMALY test, exact: with n earlier amounts of sum S and sum of
 * squares Q, whether `n*amount - S > 0` and `(n*amount - S)^2 > z^2 * (n*Q - S^2)`.
 * Floats decide when they are clearly on one side; a case within their error
 * (ties, a history of equal amounts) is decided again in bigints.
 */
export function exceedsDeviations(history: Moments, amount: Decimal, z: Factor): boolean {
  const n = history.n;
  const a = approximate(amount);
  const s = approximate(history.sum);
  const q = approximate(history.sumSquares);
  const gap = n * a - s;
  const gapSize = n * a + s;
  const spread = n * q - s * s;
  const lhs = gap * gap;
  const rhs = z.approx * z.approx * spread;
  const size = gapSize * gapSize + z.approx * z.approx * (n * q + s * s);
  // Non-finite or tiny terms (a thousand digits, hundreds of decimals): only the exact test decides.
  if (!Number.isFinite(size) || !Number.isFinite(z.approx) || gapSize < SMALLEST_TRUSTED || size < SMALLEST_TRUSTED) return exactly(history, amount, z);
  if (gap < -MARGIN * gapSize) return false;
  if (gap > MARGIN * gapSize && Math.abs(lhs - rhs) > MARGIN * size) return lhs > rhs;
  return exactly(history, amount, z);
}

function exactly(history: Moments, amount: Decimal, z: Factor): boolean {
  const scale = Math.max(amount.scale, history.sum.scale);
  const n = BigInt(history.n);
  const s = unitsAt(history.sum, scale);
  const gap = n * unitsAt(amount, scale) - s;
  if (gap <= 0n) return false;
  const spread = n * unitsAt(history.sumSquares, 2 * scale) - s * s;
  return gap * gap * z.den * z.den > z.num * z.num * spread;
}

interface DeviationFigures {
  readonly n: number;
  readonly mean: string;
  readonly sd: string;
  readonly z: string | null;
}

/**
 * The earlier amounts' count n, mean S/n and population standard deviation
 * sqrt(n*Q - S^2)/n, and the amount's z = (n*amount - S)/sqrt(n*Q - S^2) for
 * an amount above the mean (one ANOMALY fired for), from
 * the exact moments (see explanation.ts for the figures' form); z is null when
 * every earlier amount was the same (sd 0). In doubles when they are sure to
 * give the same digits (cold bigint code costs a few µs a detection, and
 * ANOMALY fires thousands of times), else in bigints.
 */
export function deviationFigures(history: Moments, amount: Decimal): DeviationFigures {
  return inDoubles(history, amount) ?? exactFigures(history, amount);
}

function inDoubles(history: Moments, amount: Decimal): DeviationFigures | undefined {
  const { sum, sumSquares } = history;
  const scale = sum.scale;
  if (typeof sum.units !== "number" || typeof sumSquares.units !== "number" || typeof amount.units !== "number") return undefined;
  if (amount.scale > scale || scale >= POW10.length) return undefined;
  const n = history.n;
  const s = sum.units;
  const nq = n * sumSquares.units;
  const ss = s * s;
  const na = n * amount.units * POW10[scale - amount.scale];
  const unit = n * POW10[scale];
  if (!Number.isSafeInteger(nq) || !Number.isSafeInteger(ss) || !Number.isSafeInteger(na) || !Number.isSafeInteger(unit)) return undefined;
  // Exact: differences of safe integers.
  const spread = nq - ss;
  const gap = na - s;
  const mean = ratioMillionths(s, unit);
  const sd = cutOffEstimate((Math.sqrt(spread) / unit) * 1e6);
  const z = spread === 0 ? null : cutOffEstimate((gap / Math.sqrt(spread)) * 1e6);
  if (mean === undefined || sd === undefined || z === undefined) return undefined;
  return { n, mean: millionthsText(mean), sd: millionthsText(sd), z: z === null ? null : millionthsText(z) };
}

function exactFigures(history: Moments, amount: Decimal): DeviationFigures {
  const scale = Math.max(amount.scale, history.sum.scale);
  const n = BigInt(history.n);
  const s = unitsAt(history.sum, scale);
  const spread = n * unitsAt(history.sumSquares, 2 * scale) - s * s;
  const gap = n * unitsAt(amount, scale) - s;
  const unit = n * 10n ** BigInt(scale);
  return {
    n: history.n,
    mean: ratioFigure(s, unit),
    sd: sqrtRatioFigure(spread, unit * unit),
    z: spread === 0n ? null : sqrtRatioFigure(gap * gap, spread),
  };
}
