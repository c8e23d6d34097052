import { compare, decimalOf } from "../decimal";
import { moneySetting } from "../money";
import { parseProbability, type Probability } from "../quantile";
import type { ConfigVersionRow, RecordedThresholds } from "../storage/config-versions";
import type { BlacklistEntry, PatternThresholds } from "./rule";
import { ALL_RULES } from "./catalogue";
import { TRANSACTION_RULE_DEFAULTS } from "./transaction-rule";

/** One version of the configuration in force, and the first chunk it applies to. */
export interface ConfigVersion {
  readonly version: number;
  readonly fromSeq: number;
  readonly thresholds: PatternThresholds;
}

/**
 * Every configuration version, and which one is in force for a chunk: the
 * latest whose `fromSeq` is at or before the chunk's sequence.
 */
export class ConfigHistory {
  private readonly versions: readonly ConfigVersion[];

  constructor(versions: readonly ConfigVersion[]) {
    this.versions = [...versions].sort((a, b) => a.version - b.version);
  }

  static fromRows(rows: readonly ConfigVersionRow[]): ConfigHistory {
    return new ConfigHistory(
      rows.map((r) => ({ version: r.version, fromSeq: r.fromSeq, thresholds: thresholdsOf(r.thresholds, `configuration version ${r.version}`) })),
    );
  }

  /** The version in force for chunk `seq`, if any applies to it. */
  at(seq: number): ConfigVersion | undefined {
    let found: ConfigVersion | undefined;
    for (const v of this.versions) if (v.fromSeq <= seq) found = v;
    return found;
  }

  /** The version in force for chunk `seq`; throws when none is recorded for it. */
  inForce(seq: number): ConfigVersion {
    const version = this.at(seq);
    if (!version) throw new Error(`no configuration version applies to chunk ${seq} (the detector service records one when it starts)`);
    return version;
  }
}

/** Thresholds as they are recorded: quantiles and amounts as their exact decimal text. */
export function recordedThresholds(t: PatternThresholds): RecordedThresholds {
  return { ...t, upgradeCountQuantile: t.upgradeCountQuantile.text, upgradeWeightQuantile: t.upgradeWeightQuantile.text };
}

/** Recorded thresholds back as the rules take them; throws naming `what` when a value is not valid. */
export function thresholdsOf(r: RecordedThresholds, what: string): PatternThresholds {
  const count = (name: keyof RecordedThresholds, fallback?: number): number => {
    const n = r[name] ?? fallback;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0)
      throw new Error(`${what}: ${name} must be a non-negative integer, got ${JSON.stringify(n)}`);
    return n;
  };
  return {
    upgradeMinMerchantTxns: count("upgradeMinMerchantTxns"),
    upgradeCountQuantile: parseProbability(String(r.upgradeCountQuantile), `${what}: upgradeCountQuantile`),
    upgradeWeightQuantile: parseProbability(String(r.upgradeWeightQuantile), `${what}: upgradeWeightQuantile`),
    childMinTxns: count("childMinTxns"),
    childMaxAvgAmount: moneySetting(String(r.childMaxAvgAmount), `${what}: childMaxAvgAmount`),
    deiMinFemaleCustomers: count("deiMinFemaleCustomers"),
    highValueMinAmount: moneySetting(String(r.highValueMinAmount ?? TRANSACTION_RULE_DEFAULTS.highValueMinAmount), `${what}: highValueMinAmount`),
    anomalyMinHistory: count("anomalyMinHistory", TRANSACTION_RULE_DEFAULTS.anomalyMinHistory),
    anomalyZ: moneySetting(String(r.anomalyZ ?? TRANSACTION_RULE_DEFAULTS.anomalyZ), `${what}: anomalyZ`),
    blacklist: blacklistOf(r.blacklist ?? [], what),
    disabledPatterns: patternIdsOf(r.disabledPatterns ?? [], what),
  };
}

function patternIdsOf(ids: unknown, what: string): string[] {
  const known = ALL_RULES.map((r) => r.patternId);
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === "string" && known.includes(id))) {
    throw new Error(`${what}: disabledPatterns must be a list of pattern ids (${known.join(", ")}), got ${JSON.stringify(ids)}`);
  }
  return [...new Set(ids)].sort();
}

/**
 * Every configuration version holds its whole blacklist, and every partition
 * load reads every version: the list is kept to a size that stays cheap.
 */
const MAX_BLACKLIST_ENTRIES = 100_000;
const MAX_BLACKLIST_REASON_CHARS = 500;

function blacklistOf(entries: unknown, what: string): BlacklistEntry[] {
  if (!Array.isArray(entries)) throw new Error(`${what}: blacklist must be a list of {id, reason}`);
  if (entries.length > MAX_BLACKLIST_ENTRIES) throw new Error(`${what}: the blacklist has ${entries.length} entries, more than ${MAX_BLACKLIST_ENTRIES}`);
  return entries.map((e: unknown, i) => {
    const { id, reason } = (e ?? {}) as Partial<BlacklistEntry>;
    if (typeof id !== "string" || id === "" || typeof reason !== "string")
      throw new Error(`${what}: blacklist entry ${i} must be {id, reason} with a non-empty id`);
    if (reason.length > MAX_BLACKLIST_REASON_CHARS)
      throw new Error(`${what}: the reason of blacklist entry ${i} ("${id}") is longer than ${MAX_BLACKLIST_REASON_CHARS} characters`);
    return { id, reason };
  });
}

/** Whether two blacklists list the same ids with the same reasons, in any order. */
function sameBlacklist(a: readonly BlacklistEntry[], b: readonly BlacklistEntry[]): boolean {
  const reasons = new Map(a.map((e) => [e.id, e.reason]));
  const other = new Map(b.map((e) => [e.id, e.reason]));
  return reasons.size === other.size && [...reasons].every(([id, reason]) => other.get(id) === reason);
}

const sameDecimal = (a: string, b: string, what: string): boolean => compare(decimalOf(a, what), decimalOf(b, what)) === 0;

const sameProbability = (a: Probability, b: Probability): boolean => a.num * b.den === b.num * a.den;

/** Whether two sets of thresholds make every rule decide the same: `0.9` and `0.90` are one quantile, `23` and `23.00` one amount. */
export function sameThresholds(a: PatternThresholds, b: PatternThresholds): boolean {
  return (
    a.upgradeMinMerchantTxns === b.upgradeMinMerchantTxns &&
    sameProbability(a.upgradeCountQuantile, b.upgradeCountQuantile) &&
    sameProbability(a.upgradeWeightQuantile, b.upgradeWeightQuantile) &&
    a.childMinTxns === b.childMinTxns &&
    sameDecimal(a.childMaxAvgAmount, b.childMaxAvgAmount, "childMaxAvgAmount") &&
    a.deiMinFemaleCustomers === b.deiMinFemaleCustomers &&
    sameDecimal(a.highValueMinAmount, b.highValueMinAmount, "highValueMinAmount") &&
    a.anomalyMinHistory === b.anomalyMinHistory &&
    sameDecimal(a.anomalyZ, b.anomalyZ, "anomalyZ") &&
    sameBlacklist(a.blacklist, b.blacklist) &&
    a.disabledPatterns.join() === b.disabledPatterns.join()
  );
}
