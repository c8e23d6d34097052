import { anomaly } from "./anomaly";
import { blacklisted } from "./blacklisted";
import { child } from "./child";
import { deiNeeded } from "./dei-needed";
import { highValue } from "./high-value";
import type { PatternRule } from "./rule";
import type { TransactionRule } from "./transaction-rule";
import { upgrade } from "./upgrade";

/** The patterns over a merchant's cumulative aggregates (PatId1–3). A new rule is one file and one entry here. */
export const PATTERN_RULES: readonly PatternRule[] = [upgrade, child, deiNeeded];

/** The rules that judge each transaction as it is applied (PatId4–6). */
export const TRANSACTION_RULES: readonly TransactionRule[] = [highValue, blacklisted, anomaly];

export type RuleName = Pick<PatternRule, "patternId" | "actionType">;

/** Every rule, in pattern id order. */
export const ALL_RULES: readonly RuleName[] = [...PATTERN_RULES, ...TRANSACTION_RULES];

export function ruleByPatternOrAction(name: string): RuleName | undefined {
  return ALL_RULES.find((r) => r.patternId === name || r.actionType === name);
}
