import { printable } from "./csv/fields";
import { isPlainDecimal } from "./decimal";

/**
 * Digits an amount may have. Far beyond any money, it keeps arithmetic on a
 * hostile row cheap and every sum within what a PostgreSQL numeric stores.
 */
export const MAX_AMOUNT_DIGITS = 1000;

/**
 * Why `text` is not a valid amount (SPEC.md: a non-negative number in plain
 * decimal notation), or undefined when it is one.
 */
export function amountProblem(text: string): string | undefined {
  if (text === "") return "amount is empty";
  // Only a bad amount is shown; this runs for every row read.
  const shown = (): string => printable(text, 40);
  if (!isPlainDecimal(text)) {
    if (text.startsWith("-") && isPlainDecimal(text.slice(1))) return `amount "${shown()}" is negative`;
    return `amount "${shown()}" is not a plain decimal (digits, optionally a point and more digits)`;
  }
  if (text.length - (text.includes(".") ? 1 : 0) > MAX_AMOUNT_DIGITS) return `amount "${shown()}" has more than ${MAX_AMOUNT_DIGITS} digits`;
  return undefined;
}

/** A configured money threshold ("23", "22.995"), checked like an amount; throws naming the setting. */
export function moneySetting(text: string, what: string): string {
  const problem = amountProblem(text);
  if (problem) throw new Error(`${what}: ${problem}`);
  return text;
}
