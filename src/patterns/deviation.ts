import { approximate, divideDown, formatDecimal, unitsAt, type Decimal } from "../decimal";
import { FIGURE_DECIMALS, sqrtRatioFigure } from "./explanation";

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
  const { gap, spread } = exactTerms(history, amount);
  return gap > 0n && gap * gap * z.den * z.den > z.num * z.num * spread;
}

/** In integers at the larger of the two scales (`unit` = n·10^scale): gap = n*amount - S and spread = n*Q - S^2. */
function exactTerms(history: Moments, amount: Decimal): { gap: bigint; spread: bigint; unit: bigint } {
  const scale = Math.max(amount.scale, history.sum.scale);
  const n = BigInt(history.n);
  const s = unitsAt(history.sum, scale);
  return {
    gap: n * unitsAt(amount, scale) - s,
    spread: n * unitsAt(history.sumSquares, 2 * scale) - s * s,
    unit: n * 10n ** BigInt(scale),
  };
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
 * an amount above the mean (one ANOMALY fired for), from the exact moments
 * (see explanation.ts for the figures' form); z is null when every earlier
 * amount was the same (sd 0).
 */
export function deviationFigures(history: Moments, amount: Decimal): DeviationFigures {
  const { gap, spread, unit } = exactTerms(history, amount);
  return {
    n: history.n,
    mean: formatDecimal(divideDown(history.sum, history.n, FIGURE_DECIMALS)),
    sd: sqrtRatioFigure(spread, unit * unit),
    z: spread === 0n ? null : sqrtRatioFigure(gap * gap, spread),
  };
}
