import type { DataSource } from "typeorm";
import { recordedThresholds, sameThresholds, thresholdsOf, type PatternThresholds } from "../../src/patterns";
import { recordNextVersion, type ConfigVersionRow } from "../../src/storage/config-versions";

/** Records `thresholds` as the next configuration version, as a change through the API does, unless the latest version holds the same. */
export function recordThresholds(ds: DataSource, thresholds: PatternThresholds, recordedBy: string): Promise<ConfigVersionRow[]> {
  return recordNextVersion(ds, recordedBy, (versions) => {
    const latest = versions.at(-1);
    return latest && sameThresholds(thresholdsOf(latest.thresholds, "the latest configuration version"), thresholds)
      ? undefined
      : recordedThresholds(thresholds);
  });
}
