/** Amounts are integer cents so that "average < 23" never depends on float rounding. */

const PLAIN_DECIMAL = /^(\d*)(?:\.(\d*))?$/;

export type AmountParse = { cents: number } | { reason: string };

/**
 * Parses a non-negative decimal amount into integer cents. More than two
 * decimals are rounded half-up to the cent; exponent forms ("1e3") go through
 * Number and are rounded the same way.
 */
export function parseAmountCents(text: string): AmountParse {
  const plain = PLAIN_DECIMAL.exec(text);
  if (plain && (plain[1] !== "" || (plain[2] ?? "") !== "")) {
    const whole = plain[1] === "" ? 0 : Number(plain[1]);
    const fraction = (plain[2] ?? "").padEnd(3, "0");
    const cents = whole * 100 + Number(fraction.slice(0, 2)) + (fraction.charCodeAt(2) >= 53 /* '5' */ ? 1 : 0);
    if (!Number.isSafeInteger(cents)) return { reason: `amount is too large: "${text}"` };
    return { cents };
  }
  const value = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(value)) return { reason: `amount is not a finite number: "${text}"` };
  if (value < 0) return { reason: `amount is negative: "${text}"` };
  const cents = Math.round(value * 100);
  if (!Number.isSafeInteger(cents)) return { reason: `amount is too large: "${text}"` };
  return { cents };
}

/** Parses a configured money threshold ("23", "22.50") into cents; throws on anything else. */
export function moneyToCents(text: string, what: string): number {
  const parsed = parseAmountCents(text);
  if ("reason" in parsed) throw new Error(`${what}: ${parsed.reason}`);
  return parsed.cents;
}
