import type { PatternThresholds } from "../../src/patterns";
import { parseProbability } from "../../src/quantile";
import { SPEC_DEFAULTS } from "./reference";

/** SPEC.md's default thresholds (the reference's SPEC_DEFAULTS), as the production rules take them. */
export const SPEC_THRESHOLDS: PatternThresholds = {
  ...SPEC_DEFAULTS,
  upgradeCountQuantile: parseProbability(SPEC_DEFAULTS.upgradeCountQuantile, "q"),
  upgradeWeightQuantile: parseProbability(SPEC_DEFAULTS.upgradeWeightQuantile, "q"),
  blacklist: [],
  disabledPatterns: [],
};
