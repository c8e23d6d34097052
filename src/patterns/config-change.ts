import type { ConfigVersionRow, RecordedThresholds } from "../storage/config-versions";
import { blacklistIdProblem } from "./blacklist";
import { recordedThresholds, sameThresholds, thresholdsOf } from "./config-versions";
import type { BlacklistEntry, PatternThresholds } from "./rule";

/** A change that cannot be made; the message says why, for the person who asked. */
export class ConfigChangeError extends Error {
  override name = "ConfigChangeError";
}

/** What `PUT /api/config` may set; the blacklist changes entry by entry. */
export const CHANGEABLE_SETTINGS = [
  "upgradeMinMerchantTxns",
  "upgradeCountQuantile",
  "upgradeWeightQuantile",
  "childMinTxns",
  "childMaxAvgAmount",
  "deiMinFemaleCustomers",
  "highValueMinAmount",
  "anomalyMinHistory",
  "anomalyZ",
  "disabledPatterns",
] as const;

type Changeable = (typeof CHANGEABLE_SETTINGS)[number];

/** Turns the latest recorded configuration into the next one (the caller records it only if a rule would notice). */
export type ConfigEdit = (latest: RecordedThresholds) => RecordedThresholds;

/**
 * The edit setting some thresholds, checked now against the defaults' shapes
 * and again on the latest version when it is applied. Decimals may come as
 * JSON numbers or as text; text keeps every digit.
 */
export function settingsEdit(change: unknown): ConfigEdit {
  if (change === null || typeof change !== "object" || Array.isArray(change)) throw new ConfigChangeError("the change must be a JSON object of settings");
  const entries = Object.entries(change);
  if (entries.length === 0) throw new ConfigChangeError(`nothing to change; settings: ${CHANGEABLE_SETTINGS.join(", ")}`);
  for (const [name] of entries) {
    if (name === "blacklist") throw new ConfigChangeError("the blacklist changes entry by entry: POST /api/blacklist, DELETE /api/blacklist/:id");
    if (!(CHANGEABLE_SETTINGS as readonly string[]).includes(name)) {
      throw new ConfigChangeError(`unknown setting "${name}"; settings: ${CHANGEABLE_SETTINGS.join(", ")}`);
    }
  }
  const values = Object.fromEntries(entries.map(([name, value]) => [name, typeof value === "number" && isDecimalSetting(name) ? String(value) : value]));
  return (latest) => checked({ ...latest, ...values });
}

/** The edit listing `entries` (a listed id gets the new reason). */
export function blacklistAddition(entries: unknown): ConfigEdit {
  const list = Array.isArray(entries) ? (entries as unknown[]) : [entries];
  const added = list.map((e, i): BlacklistEntry => {
    const { id, reason = "" } = (e ?? {}) as { id?: unknown; reason?: unknown };
    if (typeof id !== "string" || typeof reason !== "string") throw new ConfigChangeError(`blacklist entry ${i + 1} must be {"id": "...", "reason": "..."}`);
    const problem = blacklistIdProblem(id);
    if (problem) throw new ConfigChangeError(`blacklist entry ${i + 1}: ${problem}`);
    return { id, reason };
  });
  if (added.length === 0) throw new ConfigChangeError("no blacklist entry given");
  // An id given twice in one request keeps its last reason, as in a blacklist file.
  const byId = new Map(added.map((e) => [e.id, e]));
  return (latest) => checked({ ...latest, blacklist: [...(latest.blacklist ?? []).filter((e) => !byId.has(e.id)), ...byId.values()] });
}

/** The edit taking `id` off the blacklist; an error when it is not on it. */
export function blacklistRemoval(id: string): ConfigEdit {
  return (latest) => {
    const blacklist = latest.blacklist ?? [];
    if (!blacklist.some((e) => e.id === id)) throw new ConfigChangeError(`"${id}" is not on the blacklist`);
    return checked({ ...latest, blacklist: blacklist.filter((e) => e.id !== id) });
  };
}

/** One setting's change between two versions; for the blacklist, the entries added and removed. */
type SettingChange =
  | { readonly setting: string; readonly from: unknown; readonly to: unknown }
  | { readonly setting: "blacklist"; readonly added: readonly BlacklistEntry[]; readonly removed: readonly BlacklistEntry[] };

/** What changed from `before` (undefined: the first version, everything is new) to `after`, in the versions' normalized form. */
export function describeChanges(before: RecordedThresholds | undefined, after: RecordedThresholds): SettingChange[] {
  const b = before && recordedThresholds(thresholdsOf(before, "the earlier version"));
  const a = recordedThresholds(thresholdsOf(after, "the later version"));
  const changes: SettingChange[] = [];
  for (const setting of CHANGEABLE_SETTINGS) {
    if (JSON.stringify(b?.[setting]) !== JSON.stringify(a[setting])) changes.push({ setting, from: b?.[setting] ?? null, to: a[setting] ?? null });
  }
  const earlier = new Map((b?.blacklist ?? []).map((e) => [e.id, e.reason]));
  const later = new Map((a.blacklist ?? []).map((e) => [e.id, e.reason]));
  const added = [...later].filter(([id, reason]) => earlier.get(id) !== reason).map(([id, reason]) => ({ id, reason }));
  const removed = [...earlier].filter(([id, reason]) => later.get(id) !== reason).map(([id, reason]) => ({ id, reason }));
  if (added.length > 0 || removed.length > 0) changes.push({ setting: "blacklist", added, removed });
  return changes;
}

function isDecimalSetting(name: string): boolean {
  return (["upgradeCountQuantile", "upgradeWeightQuantile", "childMaxAvgAmount", "highValueMinAmount", "anomalyZ"] satisfies Changeable[] as string[]).includes(
    name,
  );
}

/** The recorded form of `r` after checking every value, normalized (sorted pattern ids, trimmed quantiles). */
function checked(r: RecordedThresholds): RecordedThresholds {
  try {
    return recordedThresholds(thresholdsOf(r, "the new configuration"));
  } catch (err) {
    throw new ConfigChangeError((err as Error).message);
  }
}

const STARTUP = "startup on ";

export function startupRecordedBy(nodeId: string): string {
  return STARTUP + nodeId;
}

/**
 * What a detector's start records: the settings it was given that differ
 * from those the last start was given (`lastStart`), applied on top of the
 * latest version, so that a change made through the API or the REPL survives
 * a restart with unchanged settings, and a setting changed at start applies.
 * The blacklist counts as a setting only when a file is given (`blacklist`).
 * Also returns what this start was given, for the next one to compare with.
 */
export function startupChange(
  settings: PatternThresholds,
  blacklist: readonly BlacklistEntry[] | undefined,
  versions: readonly ConfigVersionRow[],
  lastStart: RecordedThresholds | undefined,
): { next: RecordedThresholds | undefined; given: RecordedThresholds } {
  const latest = versions.at(-1);
  const before = lastStart ? normalized(lastStart, "the settings of the last start") : lastStartVersion(versions);
  const given = recordedThresholds({ ...settings, blacklist: blacklist ?? before?.blacklist ?? [] });
  if (!latest) return { next: given, given };
  const changed = Object.fromEntries(
    Object.entries(given).filter(([name, value]) => JSON.stringify(before?.[name as keyof RecordedThresholds]) !== JSON.stringify(value)),
  );
  const next = { ...normalized(latest.thresholds, `configuration version ${latest.version}`), ...changed };
  const same = sameThresholds(thresholdsOf(next, "the started configuration"), thresholdsOf(latest.thresholds, "the latest configuration"));
  return { next: same ? undefined : next, given };
}

/** Before the settings of each start were stored apart: the version the last start recorded stands for them. */
function lastStartVersion(versions: readonly ConfigVersionRow[]): RecordedThresholds | undefined {
  const lastStart = versions.filter((v) => v.recordedBy.startsWith(STARTUP)).at(-1);
  return lastStart && normalized(lastStart.thresholds, `configuration version ${lastStart.version}`);
}

function normalized(r: RecordedThresholds, what: string): RecordedThresholds {
  return recordedThresholds(thresholdsOf(r, what));
}
