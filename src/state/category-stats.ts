import { addDecimalTo, formatDecimal, type Decimal, type DecimalSum } from "../decimal";
import type { Transaction } from "../csv/transactions";
import { anomaly } from "../patterns/anomaly";
import { blacklisted } from "../patterns/blacklisted";
import { highValue } from "../patterns/high-value";
import type { CategoryStatsRow } from "../storage/partition-store";

/** One chunk's transactions of one category in one partition, and those PatId4–6 flagged. */
export interface CategoryStats {
  readonly category: string;
  transactions: number;
  readonly amount: DecimalSum;
  /** Transactions at least one of PatId4–6 fired for, and their amount. */
  flagged: number;
  readonly flaggedAmount: DecimalSum;
  highValue: number;
  blacklisted: number;
  readonly blacklistedAmount: DecimalSum;
  anomaly: number;
}

/** Per category, what a chunk's transactions were and which the transaction rules flagged. */
export class ChunkCategoryStats {
  private readonly byCategory = new Map<string, CategoryStats>();
  /** The same, by the category as written (two may share one stored category): one lookup per row. */
  private readonly byWritten = new Map<string, CategoryStats>();

  /** Counts `txn`, whose amount the caller has read already; `fired` holds the pattern ids that fired for it. */
  count(txn: Transaction, amount: Decimal, fired: readonly string[]): void {
    const s = this.byWritten.get(txn.category) ?? this.tally(txn.category);
    s.transactions++;
    addDecimalTo(s.amount, amount);
    if (fired.length === 0) return;
    s.flagged++;
    addDecimalTo(s.flaggedAmount, amount);
    for (const patternId of fired) {
      if (patternId === highValue.patternId) s.highValue++;
      else if (patternId === blacklisted.patternId) {
        s.blacklisted++;
        addDecimalTo(s.blacklistedAmount, amount);
      } else if (patternId === anomaly.patternId) s.anomaly++;
    }
  }

  private tally(written: string): CategoryStats {
    const category = statsCategory(written);
    let s = this.byCategory.get(category);
    if (!s) {
      s = {
        category,
        transactions: 0,
        amount: { units: 0, scale: 0 },
        flagged: 0,
        flaggedAmount: { units: 0, scale: 0 },
        highValue: 0,
        blacklisted: 0,
        blacklistedAmount: { units: 0, scale: 0 },
        anomaly: 0,
      };
      this.byCategory.set(category, s);
    }
    this.byWritten.set(written, s);
    return s;
  }

  rows(): CategoryStatsRow[] {
    return [...this.byCategory.values()].map((s) => ({
      category: s.category,
      transactions: s.transactions,
      amount: formatDecimal(s.amount),
      flagged: s.flagged,
      flaggedAmount: formatDecimal(s.flaggedAmount),
      highValue: s.highValue,
      blacklisted: s.blacklisted,
      blacklistedAmount: formatDecimal(s.blacklistedAmount),
      anomaly: s.anomaly,
    }));
  }
}

/** Longest category kept in the statistics (it is part of their key); a longer one is cut. */
const MAX_CATEGORY_CHARS = 100;

/**
 * A category as the statistics store it: any text a CSV field holds, except
 * that PostgreSQL text cannot hold NUL or a lone surrogate, and a key cannot
 * be very long.
 */
function statsCategory(category: string): string {
  const cut = category.length > MAX_CATEGORY_CHARS ? category.slice(0, MAX_CATEGORY_CHARS) : category;
  // PostgreSQL stores a lone surrogate (one cut in half, or one in the data) as U+FFFD: so do we, so that
  // two categories equal there are one key here too.
  return cut.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
