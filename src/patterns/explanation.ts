/**
 * The figures that made a rule fire, keyed by SPEC.md's symbols (docs/rules.md
 * lists them per pattern). Counts are integers; amounts and thresholds are
 * exact decimal text as written; a figure derived by division or a square
 * root from exact amounts (an average, a mean, a standard deviation, z) is
 * decimal text with FIGURE_DECIMALS decimals, cut off (rounded towards zero)
 * so that it never reads higher than it is: an average below 23 never shows as
 * 23. Weights are doubles (means of the importance file's): shown with as
 * many decimals, rounded to the nearest. A rule computes them only when it fires.
 */
export type Explanation = Readonly<Record<string, string | number | null>>;

const FIGURE_DECIMALS = 6;

/** An explanation on one line, `n=83 avg=19.019253`; "-" when there is none. */
export function explanationText(explanation: Explanation | null): string {
  if (explanation === null || Object.keys(explanation).length === 0) return "-";
  return Object.entries(explanation)
    .map(([key, value]) => `${key}=${value === null ? "-" : String(value)}`)
    .join(" ");
}
const SCALE = 10n ** BigInt(FIGURE_DECIMALS);
const MILLION = 10 ** FIGURE_DECIMALS;

/** num/den (both non-negative, den > 0) with FIGURE_DECIMALS decimals, cut off. */
export function ratioFigure(num: bigint, den: bigint): string {
  return scaledText((num * SCALE) / den);
}

/** sqrt(num/den) (both non-negative, den > 0) with FIGURE_DECIMALS decimals, cut off: floor(sqrt(x)) = isqrt(floor(x)), exactly. */
export function sqrtRatioFigure(num: bigint, den: bigint): string {
  return scaledText(isqrt((num * SCALE * SCALE) / den));
}

/** A double (a weight, its quantile) with FIGURE_DECIMALS decimals, to the nearest: it stands for a decimal (1.9 is stored a little below 1.9), and rounding keeps w <= Tw in order. */
export function doubleFigure(x: number): string {
  return Math.abs(x) < 1e21 ? x.toFixed(FIGURE_DECIMALS) : String(x);
}

/**
 * The double `y` (within a few ulps of the true value) cut off to an integer,
 * or undefined when it is too close to an integer for the cut to be sure: the
 * caller then computes exactly.
 */
export function cutOffEstimate(y: number): number | undefined {
  const r = Math.floor(y);
  const margin = y * 1e-13;
  return r <= Number.MAX_SAFE_INTEGER && y - r >= margin && r + 1 - y >= margin ? r : undefined;
}

/** floor(num/den * 10^6) for safe integers num >= 0, den > 0, in doubles when that is exact; undefined when it would not be. */
export function ratioMillionths(num: number, den: number): number | undefined {
  if (den * MILLION > Number.MAX_SAFE_INTEGER) return undefined;
  // A quotient of two exact doubles is correctly rounded, so its floor is off by one at most.
  let whole = Math.floor(num / den);
  if (whole * den > num) whole--;
  else if ((whole + 1) * den <= num) whole++;
  const rest = (num - whole * den) * MILLION;
  let fraction = Math.floor(rest / den);
  if (fraction * den > rest) fraction--;
  else if ((fraction + 1) * den <= rest) fraction++;
  const millionths = whole * MILLION + fraction;
  return Number.isSafeInteger(millionths) ? millionths : undefined;
}

/** An integer number of millionths as FIGURE_DECIMALS-decimal text. */
export function millionthsText(millionths: number): string {
  return `${Math.floor(millionths / MILLION)}.${String(millionths % MILLION).padStart(FIGURE_DECIMALS, "0")}`;
}

function scaledText(units: bigint): string {
  const digits = units.toString().padStart(FIGURE_DECIMALS + 1, "0");
  return `${digits.slice(0, -FIGURE_DECIMALS)}.${digits.slice(-FIGURE_DECIMALS)}`;
}

/** The integer square root, floor(sqrt(n)), by Newton's method from 2^ceil(bits/2), which is at or above the root (at most twice it). */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const next = (x + n / x) >> 1n;
    if (next >= x) return x;
    x = next;
  }
}
