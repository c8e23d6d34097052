import type { ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import type { DataSource } from "typeorm";
import { ALL_RULES, differsFrom, recordedThresholds, thresholdsOf, type BlacklistEntry, type PatternThresholds } from "../src/patterns";
import { readBlacklist } from "../src/patterns/blacklist";
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
        handler: () => ALL_RULES.map((r) => ({ patternId: r.patternId, actionType: r.actionType })),
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
      const db = await rt.db();
      const settings: PatternThresholds = { ...rt.config.thresholds, blacklist: await startupBlacklist(rt, db) };
      const history = await recordConfigVersion(db, recordedThresholds(settings), `startup on ${this.broker.nodeID}`, differsFrom(settings));
      const inForce = history.at(-1)!;
      this.logger.debug("configuration in force", { version: inForce.version, fromSeq: inForce.fromSeq, blacklisted: settings.blacklist.length });
    },
  };
}

/** The blacklist given at start (--blacklist), or else the one recorded last, which a restart keeps. */
async function startupBlacklist(rt: Runtime, db: DataSource): Promise<readonly BlacklistEntry[]> {
  if (rt.config.blacklist) return [...(await readBlacklist(rt.config.blacklist, rt.config.s3))].map(([id, reason]) => ({ id, reason }));
  const latest = (await readConfigVersions(db)).at(-1);
  return latest ? thresholdsOf(latest.thresholds, `configuration version ${latest.version}`).blacklist : [];
}
