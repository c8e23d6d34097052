import type { Transaction } from "../csv/transactions";
import { decimalOf, type Decimal } from "../decimal";
import type { CustomerHistory } from "../state/customer-history";
import { factorOf, type Factor } from "./deviation";
import type { Explanation } from "./explanation";
import type { PatternThresholds } from "./rule";

/** SPEC.md's defaults, also for configuration versions recorded before these rules existed. */
export const TRANSACTION_RULE_DEFAULTS = {
  highValueMinAmount: "5000",
  anomalyMinHistory: 20,
  anomalyZ: "4",
} as const;

/** The thresholds of the transaction rules, parsed once per configuration version. */
export interface TransactionSettings {
  readonly highValueMinAmount: Decimal;
  readonly anomalyMinHistory: number;
  readonly anomalyZ: Factor;
  /** Reason by listed id. */
  readonly blacklist: ReadonlyMap<string, string>;
}

/**
 * A rule that judges each valid transaction as it is applied, in stream order:
 * `history` is the customer's transactions before this one (none yet: undefined).
 * `explain` gives the figures behind a verdict of `fires`, called only when it fired.
 */
export interface TransactionRule {
  readonly patternId: string;
  readonly actionType: string;
  fires(txn: Transaction, amount: Decimal, history: CustomerHistory | undefined, settings: TransactionSettings): boolean;
  explain(txn: Transaction, amount: Decimal, history: CustomerHistory | undefined, settings: TransactionSettings): Explanation;
}

const prepared = new WeakMap<PatternThresholds, TransactionSettings>();

export function transactionSettings(t: PatternThresholds): TransactionSettings {
  let settings = prepared.get(t);
  if (!settings) {
    settings = {
      highValueMinAmount: decimalOf(t.highValueMinAmount, "HIGH_VALUE_MIN_AMOUNT"),
      anomalyMinHistory: t.anomalyMinHistory,
      anomalyZ: factorOf(decimalOf(t.anomalyZ, "ANOMALY_Z")),
      blacklist: new Map(t.blacklist.map((e) => [e.id, e.reason])),
    };
    prepared.set(t, settings);
  }
  return settings;
}
