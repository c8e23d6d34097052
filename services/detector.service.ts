import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { PATTERN_RULES, type PatternThresholds } from "../src/patterns";

/**
 * The owner of the configuration in force: the pattern catalogue and the
 * thresholds. Every merchant-state node takes its thresholds from here, so a
 * cluster never evaluates with two different configurations; the rules
 * themselves run inside merchant-state, where detections commit atomically
 * with the state that produced them. The configuration is not yet recorded
 * or versioned: a change applies from the next start of merchant-state, and
 * a replay after it computes old chunks with the new thresholds.
 */
export function detectorService(rt: Runtime): ServiceSchema {
  return {
    name: "detector",
    actions: {
      rules: {
        handler: () => PATTERN_RULES.map((r) => ({ patternId: r.patternId, actionType: r.actionType })),
      },
      thresholds: {
        handler: (): PatternThresholds => rt.config.thresholds,
      },
    },
  };
}
