import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { PATTERN_RULES, type PatternThresholds } from "../src/patterns";

/**
 * The pattern catalogue and the thresholds in force. Every merchant-state
 * node takes its thresholds from here, so a cluster never evaluates with two
 * different configurations; the rules themselves run inside merchant-state,
 * where they commit atomically with the state they read.
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
