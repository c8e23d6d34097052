import { compare, decimalOf } from "../decimal";
import { moneySetting } from "../money";
import { parseProbability, type Probability } from "../quantile";
import type { ConfigVersionRow, RecordedThresholds } from "../storage/config-versions";
import type { PatternThresholds } from "./rule";

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
  const count = (name: keyof RecordedThresholds): number => {
    const n = r[name];
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
  };
}

const sameProbability = (a: Probability, b: Probability): boolean => a.num * b.den === b.num * a.den;

/** Whether two sets of thresholds make every rule decide the same: `0.9` and `0.90` are one quantile, `23` and `23.00` one amount. */
export function sameThresholds(a: PatternThresholds, b: PatternThresholds): boolean {
  return (
    a.upgradeMinMerchantTxns === b.upgradeMinMerchantTxns &&
    sameProbability(a.upgradeCountQuantile, b.upgradeCountQuantile) &&
    sameProbability(a.upgradeWeightQuantile, b.upgradeWeightQuantile) &&
    a.childMinTxns === b.childMinTxns &&
    compare(decimalOf(a.childMaxAvgAmount, "childMaxAvgAmount"), decimalOf(b.childMaxAvgAmount, "childMaxAvgAmount")) === 0 &&
    a.deiMinFemaleCustomers === b.deiMinFemaleCustomers
  );
}

/** Whether the latest recorded thresholds differ from `settings` in a way a rule would notice (see sameThresholds). */
export function differsFrom(settings: PatternThresholds): (latest: RecordedThresholds) => boolean {
  return (latest) => !sameThresholds(thresholdsOf(latest, "the latest configuration version"), settings);
}
