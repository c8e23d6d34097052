import { printable } from "./csv/fields";

/**
 * Exact non-negative decimals: `units × 10^-scale`. Units stay a plain number
 * while that is exact (a safe integer), which is every realistic amount and
 * sum, and become a bigint beyond; every operation checks and falls back, so
 * no result is ever rounded.
 */
export interface Decimal {
  readonly units: number | bigint;
  readonly scale: number;
}

export const ZERO: Decimal = { units: 0, scale: 0 };

/** Digits, optionally a point and more digits: `4.55`, `12`, `0.125`. */
const PLAIN_DECIMAL = /^\d+(?:\.\d+)?$/;
/** 10^k for the scale differences that keep number units exact. */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);
/** Up to 15 digits always fit a safe integer. */
const SAFE_DIGITS = 15;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function isPlainDecimal(text: string): boolean {
  return PLAIN_DECIMAL.test(text);
}

/** What scanDecimal read last; module state so that the per-row path allocates nothing. */
let scannedUnits = 0;
let scannedScale = 0;

/**
 * Reads `text` as a plain decimal of at most SAFE_DIGITS digits into
 * scannedUnits/scannedScale. False when it is not plain notation or has more
 * digits (parseDecimal then takes the bigint path).
 */
function scanDecimal(text: string): boolean {
  // One pass that checks and accumulates: this runs for every row applied.
  let units = 0;
  let point = -1;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) units = units * 10 + c - 48;
    else if (c === 46 && point < 0 && i > 0 && i < length - 1) point = i;
    else return false;
  }
  if (length === 0 || length - (point < 0 ? 0 : 1) > SAFE_DIGITS) return false;
  scannedUnits = units;
  scannedScale = point < 0 ? 0 : length - point - 1;
  return true;
}

/** The decimal `text` is in plain notation, keeping every digit it was written with; undefined for anything else. */
export function parseDecimal(text: string): Decimal | undefined {
  if (scanDecimal(text)) return { units: scannedUnits, scale: scannedScale };
  if (!isPlainDecimal(text)) return undefined;
  const point = text.indexOf(".");
  return { units: demote(BigInt(point < 0 ? text : text.slice(0, point) + text.slice(point + 1))), scale: point < 0 ? 0 : text.length - point - 1 };
}

/** A running exact sum that `addTo` updates in place. */
export interface DecimalSum {
  units: number | bigint;
  scale: number;
}

/** sum += text (validated earlier; throws naming `what` if it is not a plain decimal), allocating nothing while both fit a safe integer. */
export function addTo(sum: DecimalSum, text: string, what: string): void {
  if (scanDecimal(text) && addUnitsInPlace(sum, scannedUnits, scannedScale)) return;
  const total = add(sum, decimalOf(text, what));
  sum.units = total.units;
  sum.scale = total.scale;
}

/** Reads `text` (validated earlier; throws naming `what` if it is not a plain decimal) into `into`, allocating nothing while it fits a safe integer. */
export function readInto(into: DecimalSum, text: string, what: string): void {
  if (scanDecimal(text)) {
    into.units = scannedUnits;
    into.scale = scannedScale;
    return;
  }
  const d = decimalOf(text, what);
  into.units = d.units;
  into.scale = d.scale;
}

/** sum += d, allocating nothing while both fit a safe integer. */
export function addDecimalTo(sum: DecimalSum, d: Decimal): void {
  if (typeof d.units === "number" && addUnitsInPlace(sum, d.units, d.scale)) return;
  const total = add(sum, d);
  sum.units = total.units;
  sum.scale = total.scale;
}

/** sum += d², allocating nothing while both fit a safe integer; the sum's scale stays twice that of the largest d added. */
export function addSquareTo(sum: DecimalSum, d: Decimal): void {
  if (typeof d.units === "number") {
    const squared = d.units * d.units;
    if (Number.isSafeInteger(squared) && addUnitsInPlace(sum, squared, 2 * d.scale)) return;
  }
  addDecimalTo(sum, square(d));
}

/**
 * sum += units × 10^-scale in place, at the larger of the two scales (as `add`
 * gives): false, leaving the sum as it was, when the sum is a bigint or the
 * result would not be a safe integer. Amounts of mixed scales ("4.5", "4.55")
 * stay on this path.
 */
function addUnitsInPlace(sum: DecimalSum, units: number, scale: number): boolean {
  if (typeof sum.units !== "number") return false;
  const total = scale <= sum.scale ? sum.units + rescaled(units, sum.scale - scale) : rescaled(sum.units, scale - sum.scale) + units;
  if (!Number.isSafeInteger(total)) return false; // of two non-negatives: not safe whenever either term is not
  sum.units = total;
  if (scale > sum.scale) sum.scale = scale;
  return true;
}

/** parseDecimal for text validated earlier (configured, stored, sent); throws naming `what` if it is not. */
export function decimalOf(text: string, what: string): Decimal {
  const d = parseDecimal(text);
  if (!d) throw new Error(`${what} "${printable(text, 40)}" is not a plain decimal`);
  return d;
}

export function add(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  if (typeof a.units === "number" && typeof b.units === "number") {
    const x = rescaled(a.units, scale - a.scale);
    const y = rescaled(b.units, scale - b.scale);
    const sum = x + y; // of two non-negatives: not safe whenever x or y is not
    if (Number.isSafeInteger(sum)) return { units: sum, scale };
  }
  return { units: demote(big(a, scale) + big(b, scale)), scale };
}

/** Negative when a < b, zero when equal, positive when a > b. */
export function compare(a: Decimal, b: Decimal): number {
  const scale = Math.max(a.scale, b.scale);
  if (typeof a.units === "number" && typeof b.units === "number") {
    const x = rescaled(a.units, scale - a.scale);
    const y = rescaled(b.units, scale - b.scale);
    if (Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x - y;
  }
  const x = big(a, scale);
  const y = big(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** a × factor, for a non-negative integer factor. */
export function multiply(a: Decimal, factor: number): Decimal {
  if (typeof a.units === "number") {
    const product = a.units * factor;
    if (Number.isSafeInteger(product)) return { units: product, scale: a.scale };
  }
  return { units: demote(BigInt(a.units) * BigInt(factor)), scale: a.scale };
}

/** a², exact. */
export function square(a: Decimal): Decimal {
  if (typeof a.units === "number") {
    const product = a.units * a.units;
    if (Number.isSafeInteger(product)) return { units: product, scale: 2 * a.scale };
  }
  const units = BigInt(a.units);
  return { units: demote(units * units), scale: 2 * a.scale };
}

/**
 * The value as the nearest float (Infinity past the doubles, 0 below them):
 * for estimates only, never for a decision that must be exact.
 */
export function approximate(a: Decimal): number {
  // Both exact as doubles, so the quotient is correctly rounded; otherwise parse the text, which is too.
  if (typeof a.units === "number" && a.scale <= 22) return a.units / 10 ** a.scale;
  return Number(formatDecimal(a));
}

/** Units at a finer scale (`scale` >= a.scale), as a bigint. */
export function unitsAt(a: Decimal, scale: number): bigint {
  return big(a, scale);
}

/** a ÷ divisor with `scale` decimals, cut off (not rounded) so that it never reads higher than it is. */
export function divideDown(a: Decimal, divisor: number, scale: number): Decimal {
  const numerator = scale >= a.scale ? BigInt(a.units) * 10n ** BigInt(scale - a.scale) : BigInt(a.units) / 10n ** BigInt(a.scale - scale);
  return { units: demote(numerator / BigInt(divisor)), scale };
}

/** Plain notation with exactly `scale` decimals: no exponent, nothing lost. */
export function formatDecimal(d: Decimal): string {
  const digits = d.units.toString();
  if (d.scale === 0) return digits;
  const padded = digits.padStart(d.scale + 1, "0");
  return `${padded.slice(0, -d.scale)}.${padded.slice(-d.scale)}`;
}

/** Units at a larger scale; not a safe integer (so the caller falls back to bigint) when that is inexact. */
function rescaled(units: number, by: number): number {
  return by === 0 ? units : by < POW10.length ? units * POW10[by] : units === 0 ? 0 : Infinity;
}

function big(d: Decimal, scale: number): bigint {
  const units = BigInt(d.units);
  return scale === d.scale ? units : units * 10n ** BigInt(scale - d.scale);
}

/** Back to a number while that is exact, so the fast path resumes. */
function demote(units: bigint): number | bigint {
  return units <= MAX_SAFE && units >= -MAX_SAFE ? Number(units) : units;
}
