import { child } from "./child";
import { deiNeeded } from "./dei-needed";
import type { PatternRule } from "./rule";
import { upgrade } from "./upgrade";

export type { PatternRule, PatternThresholds } from "./rule";
export { ConfigHistory, differsFrom, recordedThresholds, sameThresholds, thresholdsOf, type ConfigVersion } from "./config-versions";

/** Every pattern the detector evaluates. A new rule is one file and one entry here. */
export const PATTERN_RULES: readonly PatternRule[] = [upgrade, child, deiNeeded];

export function ruleByPatternOrAction(name: string): PatternRule | undefined {
  return PATTERN_RULES.find((r) => r.patternId === name || r.actionType === name);
}
