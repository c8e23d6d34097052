export type { BlacklistEntry, PatternRule, PatternThresholds } from "./rule";
export { TRANSACTION_RULE_DEFAULTS, transactionSettings, type TransactionRule, type TransactionSettings } from "./transaction-rule";
export { ConfigHistory, recordedThresholds, sameThresholds, thresholdsOf, type ConfigVersion } from "./config-versions";
export { ALL_RULES, PATTERN_RULES, ruleByPatternOrAction, TRANSACTION_RULES, type RuleName } from "./catalogue";
