import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { differsFrom, PATTERN_RULES, recordedThresholds, thresholdsOf, type PatternThresholds } from "../src/patterns";
import { readConfigVersions, recordConfigVersion, type ConfigVersionRow } from "../src/storage/config-versions";

/**
 * The owner of the configuration in force: the pattern catalogue and the
 * versioned thresholds (table `config_versions`). On start it records its
 * settings as a new version when they differ from the latest one, applying
 * from the chunk after the last one any partition committed; merchant-state
 * computes every chunk, replays included, with the version in force for that
 * chunk. The rules themselves run inside merchant-state, where detections
 * commit atomically with the state that produced them.
 */
export function detectorService(rt: Runtime): ServiceSchema {
  const latest = async (): Promise<ConfigVersionRow> => {
    const version = (await readConfigVersions(await rt.db())).at(-1);
    if (!version) throw new Error("no configuration version is recorded yet");
    return version;
  };

  return {
    name: "detector",
    actions: {
      rules: {
        handler: () => PATTERN_RULES.map((r) => ({ patternId: r.patternId, actionType: r.actionType })),
      },
      /** The thresholds in force for the next chunk. */
      thresholds: {
        handler: async (): Promise<PatternThresholds> => {
          const version = await latest();
          return thresholdsOf(version.thresholds, `configuration version ${version.version}`);
        },
      },
      /** The version in force for the next chunk, with the chunk it applies from. */
      version: {
        handler: latest,
      },
      /** Every version, oldest first. */
      history: {
        handler: async (): Promise<ConfigVersionRow[]> => readConfigVersions(await rt.db()),
      },
    },
    async started() {
      const settings = rt.config.thresholds;
      const history = await recordConfigVersion(await rt.db(), recordedThresholds(settings), `startup on ${this.broker.nodeID}`, differsFrom(settings));
      const inForce = history.at(-1)!;
      this.logger.debug("configuration in force", { version: inForce.version, fromSeq: inForce.fromSeq });
    },
  };
}
