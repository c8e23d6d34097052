import type { Probability } from "../quantile";
import type { Explanation } from "./explanation";
import type { CustomerView, MerchantView } from "./merchant-view";

/** Every threshold of every pattern; SPEC.md's numbers are the defaults. */
export interface PatternThresholds {
  readonly upgradeMinMerchantTxns: number;
  readonly upgradeCountQuantile: Probability;
  readonly upgradeWeightQuantile: Probability;
  readonly childMinTxns: number;
  /** Plain decimal text, so that it crosses the wire exactly. */
  readonly childMaxAvgAmount: string;
  readonly deiMinFemaleCustomers: number;
  /** Plain decimal text. */
  readonly highValueMinAmount: string;
  readonly anomalyMinHistory: number;
  /** Plain decimal text. */
  readonly anomalyZ: string;
  /** Customers and merchants whose every transaction fires BLACKLISTED, with why they are listed. */
  readonly blacklist: readonly BlacklistEntry[];
  /** Patterns switched off: they fire nothing for the chunks this version applies to. */
  readonly disabledPatterns: readonly string[];
}

export interface BlacklistEntry {
  readonly id: string;
  readonly reason: string;
}

/**
 * A pattern over one merchant's cumulative aggregates. `matches` yields the
 * customers that match now ("" for a merchant-level pattern); `touched` holds
 * the aggregates of the customers the last chunk changed, for rules whose
 * verdict on a customer depends on that customer alone. `explain` gives the
 * figures behind a match, called only for a detection that is emitted.
 */
export interface PatternRule {
  readonly patternId: string;
  readonly actionType: string;
  matches(merchant: MerchantView, touched: Iterable<CustomerView>, thresholds: PatternThresholds): Iterable<string>;
  explain(merchant: MerchantView, customer: string, thresholds: PatternThresholds): Explanation;
}
