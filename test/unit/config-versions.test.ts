import { loadConfig } from "../../src/config";
import type { Transaction } from "../../src/csv/transactions";
import { ConfigHistory, PATTERN_RULES, recordedThresholds, sameThresholds, thresholdsOf, type ConfigVersion, type PatternThresholds } from "../../src/patterns";
import { parseProbability } from "../../src/quantile";
import { PartitionAggregates } from "../../src/state/partition-aggregates";
import type { RecordedThresholds } from "../../src/storage/config-versions";

/** SPEC.md's defaults, as the configuration gives them. */
const SPEC: PatternThresholds = loadConfig({}, []).thresholds;

const version = (v: number, fromSeq: number, childMinTxns = 80): ConfigVersion => ({ version: v, fromSeq, thresholds: { ...SPEC, childMinTxns } });

describe("the configuration version in force for a chunk", () => {
  const history = new ConfigHistory([version(2, 8, 40), version(1, 1), version(3, 15, 20)]);

  it("is the latest version whose first chunk is at or before it", () => {
    expect([1, 7, 8, 14, 15, 1000].map((seq) => history.inForce(seq).version)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(history.inForce(9).thresholds.childMinTxns).toBe(40);
  });

  it("is the later version when two apply from the same chunk (recorded before any partition committed it)", () => {
    expect(new ConfigHistory([version(1, 1), version(2, 5), version(3, 5)]).inForce(5).version).toBe(3);
  });

  it("does not exist before the first version, and asking for it says why", () => {
    expect(new ConfigHistory([version(1, 3)]).at(2)).toBeUndefined();
    expect(() => new ConfigHistory([]).inForce(1)).toThrow("no configuration version applies to chunk 1");
  });
});

describe("recorded thresholds", () => {
  it("keep quantiles and amounts as their exact text and read back equal", () => {
    const recorded = recordedThresholds({ ...SPEC, childMaxAvgAmount: "22.995" });
    expect(recorded).toMatchObject({ upgradeCountQuantile: "0.90", upgradeWeightQuantile: "0.10", childMaxAvgAmount: "22.995" });
    expect(thresholdsOf(JSON.parse(JSON.stringify(recorded)) as RecordedThresholds, "v1")).toEqual({ ...SPEC, childMaxAvgAmount: "22.995" });
  });

  it("are refused when a value is not valid, naming the version and the threshold", () => {
    expect(() => thresholdsOf({ ...recordedThresholds(SPEC), childMinTxns: -1 }, "configuration version 4")).toThrow(
      "configuration version 4: childMinTxns must be a non-negative integer",
    );
    expect(() => thresholdsOf({ ...recordedThresholds(SPEC), childMaxAvgAmount: "1e3" }, "v")).toThrow("v: childMaxAvgAmount");
  });

  it("are the same when every rule decides the same: 0.9 is 0.90 and 23 is 23.00", () => {
    expect(sameThresholds(SPEC, { ...SPEC, upgradeCountQuantile: parseProbability("0.9", "q"), childMaxAvgAmount: "23.00" })).toBe(true);
    expect(sameThresholds(SPEC, { ...SPEC, childMaxAvgAmount: "22.995" })).toBe(false);
    expect(sameThresholds(SPEC, { ...SPEC, deiMinFemaleCustomers: 99 })).toBe(false);
  });
});

describe("a chunk whose version changes the thresholds", () => {
  const rows = (customer: string, count: number): Transaction[] =>
    Array.from({ length: count }, (_, line) => ({ customer, merchant: "M1", gender: "F", amount: "1.00", line, category: "es_food" }));

  it("re-evaluates customers the chunk did not touch, so a lowered threshold fires with that chunk", () => {
    const state = new PartitionAggregates(0, 0, 0, new Map(), 0);
    expect(state.apply(rows("C1", 50), PATTERN_RULES, SPEC)).toEqual([]);
    const lowered = { ...SPEC, childMinTxns: 50 };
    expect(state.apply(rows("C2", 1), PATTERN_RULES, lowered)).toEqual([]); // only C2 looked at: C1 waits for a row of its own
    expect(state.apply(rows("C2", 1), PATTERN_RULES, lowered, true).map((d) => d.customer)).toEqual(["C1"]);
  });
});

describe("a version change for UPGRADE and DEI-NEEDED", () => {
  // C0..C9 at M1 with n = 1..10 and weights 10..1; M2 has 3 female and 5 male customers.
  const weights = new Map([["M1", new Map(Array.from({ length: 10 }, (_, i) => [`C${i}`, 10 - i]))]]);
  const rows: Transaction[] = [
    ...Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: i + 1 }, () => ({ customer: `C${i}`, merchant: "M1", gender: "F", amount: "1.00", line: 0, category: "es_food" })),
    ).flat(),
    ...["F", "F", "F", "M", "M", "M", "M", "M"].map((gender, i) => ({
      customer: `D${i}`,
      merchant: "M2",
      gender,
      amount: "1.00",
      line: 0,
      category: "es_food",
    })),
  ];
  const before: PatternThresholds = { ...SPEC, upgradeMinMerchantTxns: 1 };
  const keys = (fired: { patternId: string; customer: string; merchant: string }[]) => fired.map((d) => `${d.patternId}|${d.customer}|${d.merchant}`).sort();

  it("re-evaluates every customer with the new thresholds and never emits again what already fired", () => {
    const state = new PartitionAggregates(0, 0, 0, weights, 0);
    expect(keys(state.apply(rows, PATTERN_RULES, before))).toEqual(["PatId1|C9|M1"]);
    // Counts 1..10 and weights 1..10 at 0.5: Tn = Tw = 5.5, so C5..C9 qualify; C9 fired already.
    const after: PatternThresholds = {
      ...before,
      upgradeCountQuantile: parseProbability("0.5", "q"),
      upgradeWeightQuantile: parseProbability("0.5", "q"),
      deiMinFemaleCustomers: 2,
    };
    expect(state.apply([], PATTERN_RULES, after)).toEqual([]); // no version change: nothing touched, nothing judged
    expect(keys(state.apply([], PATTERN_RULES, after, true))).toEqual(["PatId1|C5|M1", "PatId1|C6|M1", "PatId1|C7|M1", "PatId1|C8|M1", "PatId3||M2"]);
    expect(state.apply([], PATTERN_RULES, after, true)).toEqual([]);
  });
});
