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

export const FIGURE_DECIMALS = 6;

/** An explanation on one line, `n=83 avg=19.019253`; "-" when there is none. */
export function explanationText(explanation: Explanation | null): string {
  if (explanation === null || Object.keys(explanation).length === 0) return "-";
  return Object.entries(explanation)
    .map(([key, value]) => `${key}=${value === null ? "-" : String(value)}`)
    .join(" ");
}
const SCALE = 10n ** BigInt(FIGURE_DECIMALS);

/** sqrt(num/den) (both non-negative, den > 0) with FIGURE_DECIMALS decimals, cut off: floor(sqrt(x)) = isqrt(floor(x)), exactly. */
export function sqrtRatioFigure(num: bigint, den: bigint): string {
  return scaledText(isqrt((num * SCALE * SCALE) / den));
}

/** A double (a weight, its quantile) with FIGURE_DECIMALS decimals, to the nearest: it stands for a decimal (1.9 is stored a little below 1.9), and rounding keeps w <= Tw in order. */
export function doubleFigure(x: number): string {
  return Math.abs(x) < 1e21 ? x.toFixed(FIGURE_DECIMALS) : String(x);
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
