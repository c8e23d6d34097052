import { printable } from "./csv/fields";
import { isPlainDecimal } from "./decimal";

/**
 * Why `text` is not a valid amount (SPEC.md: a non-negative number in plain
 * decimal notation), or undefined when it is one.
 */
export function amountProblem(text: string): string | undefined {
  if (isPlainDecimal(text)) return undefined;
  if (text === "") return "amount is empty";
  const shown = printable(text, 40);
  if (text.startsWith("-") && isPlainDecimal(text.slice(1))) return `amount "${shown}" is negative`;
  return `amount "${shown}" is not a plain decimal (digits, optionally a point and more digits)`;
}

/** A configured money threshold ("23", "22.995"), checked like an amount; throws naming the setting. */
export function moneySetting(text: string, what: string): string {
  const problem = amountProblem(text);
  if (problem) throw new Error(`${what}: ${problem}`);
  return text;
}
