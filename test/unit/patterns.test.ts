import type { Transaction } from "../../src/csv/transactions";
import type { Explanation } from "../../src/detection";
import { PATTERN_RULES, TRANSACTION_RULES, type PatternThresholds } from "../../src/patterns";
import { summarizeMerchant } from "../../src/state/merchant-summary";
import { unpackPairs, type PartitionPairAggregate } from "../../src/storage/pair-checkpoints";
import { PartitionAggregates, type PartitionWeights } from "../../src/state/partition-aggregates";
import { SPEC_THRESHOLDS as SPEC } from "../support/spec-thresholds";

function txns(customer: string, merchant: string, count: number, amount: string, gender = "F"): Transaction[] {
  return Array.from({ length: count }, (_, i) => ({ customer, merchant, gender, amount, line: i + 2, category: "es_food" }));
}

function detect(state: PartitionAggregates, rows: Transaction[], t: PatternThresholds = SPEC): string[] {
  return state.apply(rows, PATTERN_RULES, t).map((m) => `${m.patternId}|${m.customer}|${m.merchant}`);
}

const noWeights: PartitionWeights = new Map();

describe("CHILD (PatId2): n >= 80 and avg < 23", () => {
  it("does not fire at an average of exactly 23.00", () => {
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "23.00"))).toEqual([]);
  });

  it("fires at 22.99 with exactly 80 transactions, not with 79", () => {
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 79, "22.99"))).toEqual([]);
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "22.99"))).toEqual(["PatId2|C1|M1"]);
  });

  it("uses the exact average: 79 x 23.00 + 1 x 22.99 is below 23", () => {
    const rows = [...txns("C1", "M1", 79, "23.00"), ...txns("C1", "M1", 1, "22.99")];
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), rows)).toEqual(["PatId2|C1|M1"]);
  });

  it("keeps every decimal: 22.995 is below 23, and 79 x 23 + 1 x 22.9999999999999999999 too", () => {
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "22.995"))).toEqual(["PatId2|C1|M1"]);
    const rows = [...txns("C1", "M1", 79, "23"), ...txns("C1", "M1", 1, "22.9999999999999999999")];
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), rows)).toEqual(["PatId2|C1|M1"]);
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "23.000000000000000000"))).toEqual([]);
  });

  it("takes a threshold with decimals: below 22.995 is what counts", () => {
    const t = { ...SPEC, childMaxAvgAmount: "22.995" };
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "22.995"), t)).toEqual([]);
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), txns("C1", "M1", 80, "22.9949"), t)).toEqual(["PatId2|C1|M1"]);
  });
});

describe("DEI-NEEDED (PatId3): F > 100 and F < M", () => {
  function customers(prefix: string, count: number, gender: string): Transaction[] {
    return Array.from({ length: count }, (_, i) => ({ customer: `${prefix}${i}`, merchant: "M1", gender, amount: "1.00", line: i + 2, category: "es_food" }));
  }

  it("does not fire when F equals M", () => {
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), [...customers("F", 101, "F"), ...customers("M", 101, "M")])).toEqual([]);
  });

  it("fires with 101 F and 102 M, not with 100 F", () => {
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), [...customers("F", 101, "F"), ...customers("M", 102, "M")])).toEqual(["PatId3||M1"]);
    expect(detect(new PartitionAggregates(0, 0, 0, noWeights, 0), [...customers("F", 100, "F"), ...customers("M", 200, "M")])).toEqual([]);
  });

  it("takes a customer's gender from its first transaction at the merchant", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    const rows = [
      ...customers("F", 101, "F"),
      ...customers("M", 101, "M"),
      { customer: "F0", merchant: "M1", gender: "M", amount: "0.01", line: 2, category: "es_food" },
    ];
    expect(detect(state, rows)).toEqual([]);
  });
});

describe("UPGRADE (PatId1)", () => {
  const t: PatternThresholds = { ...SPEC, upgradeMinMerchantTxns: 100 };
  // Ten customers C0..C9 with n = 1..10 at M1 and weights 10..1: C9 has the most transactions and the lowest weight.
  const weights = new Map(Array.from({ length: 10 }, (_, i) => [`C${i}`, 10 - i]));
  const weightOf: PartitionWeights = new Map([["M1", weights]]);
  const rows = (extra: number) => Array.from({ length: 10 }, (_, i) => txns(`C${i}`, "M1", i + 1 + extra, "1.00")).flat();

  it("needs N(m) strictly above the minimum", () => {
    // 10 customers with n = 1+9 .. 10+9: N = 145; with extra 0: N = 55
    expect(detect(new PartitionAggregates(0, 0, 0, weightOf, 0), rows(0), { ...t, upgradeMinMerchantTxns: 55 })).toEqual([]);
    expect(detect(new PartitionAggregates(0, 0, 0, weightOf, 0), rows(0), { ...t, upgradeMinMerchantTxns: 54 })).toEqual(["PatId1|C9|M1"]);
  });

  it("includes a customer whose count equals the count quantile", () => {
    // counts 1..10 at 0.9: position 8.1 → 9.1; weights 1..10 at 0.1: 1.9. Only C9 (n=10, w=1).
    // At q=0.8 counts: position 7.2 → 8.2, so n >= 8.2: C8 (n=9, w=2) is out on weight 2 > 1.9.
    const state = new PartitionAggregates(0, 0, 0, weightOf, 0);
    expect(detect(state, rows(0), { ...t, upgradeMinMerchantTxns: 1 })).toEqual(["PatId1|C9|M1"]);
    // counts at q=0.(8/9)... use 11 customers so that position is integral: counts 1..11 at 0.9 → exactly 10.
    const w11 = new Map([...weights, ["C10", 0.5]]);
    const s11 = new PartitionAggregates(0, 0, 0, new Map([["M1", w11]]), 0);
    const r11 = Array.from({ length: 11 }, (_, i) => txns(`C${i}`, "M1", i + 1, "1.00")).flat();
    // C9 has n = 10 = Tn exactly; weights sorted 0.5,1..10 at 0.1 → position 1.0 → exactly 1: C9 (w=1) is in.
    expect(detect(s11, r11, { ...t, upgradeMinMerchantTxns: 1 }).sort()).toEqual(["PatId1|C10|M1", "PatId1|C9|M1"]);
  });

  it("decides the same on a restored partition as on the one built live", () => {
    const allWeights: PartitionWeights = new Map([["M1", new Map([...weights, ["C10", 0.5]])]]);
    const built = new PartitionAggregates(0, 0, 0, allWeights, 0);
    expect(detect(built, rows(0), { ...t, upgradeMinMerchantTxns: 1_000 })).toEqual([]);
    // Restored in an order unlike the weights' (as a load may give them); C10 comes later, live.
    const restored = new PartitionAggregates(0, 1, 1, allWeights, 0);
    for (const i of [3, 9, 0, 7, 1, 8, 2, 6, 4, 5]) {
      restored.merchant("M1").restore(`C${i}`, i + 1, { units: (i + 1) * 100, scale: 2 }, "F");
    }
    const next = [...txns("C10", "M1", 25, "1.00"), ...rows(0)];
    const fired = detect(built, next, { ...t, upgradeMinMerchantTxns: 1 }).sort();
    expect(fired).toEqual(["PatId1|C10|M1", "PatId1|C9|M1"]);
    expect(detect(restored, next, { ...t, upgradeMinMerchantTxns: 1 }).sort()).toEqual(fired);
  });

  it("ignores customers without a weight", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    expect(detect(state, rows(0), { ...t, upgradeMinMerchantTxns: 1 })).toEqual([]);
  });
});

describe("emission", () => {
  it("emits a detection once, at the first chunk after which it matches, never again", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    expect(detect(state, txns("C1", "M1", 79, "1.00"))).toEqual([]);
    expect(detect(state, txns("C1", "M1", 1, "1.00"))).toEqual(["PatId2|C1|M1"]);
    expect(detect(state, txns("C1", "M1", 5, "1.00"))).toEqual([]);
    // stops matching (average rises above 23), then matches again: still not re-emitted
    expect(detect(state, txns("C1", "M1", 1, "10000.00"))).toEqual([]);
    expect(detect(state, txns("C1", "M1", 50_000, "0.01"))).toEqual([]);
  });

  it("remembers what a reloaded partition already emitted", () => {
    const state = new PartitionAggregates(0, 3, 3, noWeights, 0);
    state.merchant("M1").restore("C1", 85, { units: 85 * 100, scale: 2 }, "F");
    state.markEmitted("PatId2", "M1", "C1");
    expect(detect(state, txns("C1", "M1", 1, "1.00"))).toEqual([]);
  });

  it("collects the aggregates changed since the last checkpoint", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    state.apply([...txns("C1", "M1", 2, "1.50", "M"), ...txns("C2", "M1", 1, "0.99")], PATTERN_RULES, SPEC);
    state.apply(txns("C1", "M1", 1, "0.50", "M"), PATTERN_RULES, SPEC);
    expect(checkpointOf(state)).toEqual({
      fullSet: false,
      pairs: [
        { partition: 0, merchant: "M1", customer: "C1", n: 3, amount: { units: 350, scale: 2 }, gender: "M" },
        { partition: 0, merchant: "M1", customer: "C2", n: 1, amount: { units: 99, scale: 2 }, gender: "F" },
      ],
    });
    expect(checkpointOf(state)).toEqual({ fullSet: false, pairs: [] });
  });

  it("checkpoints all the aggregates once the log since the last full set would hold more than twice the partition's pairs", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    state.apply([...txns("C1", "M1", 1, "1.00"), ...txns("C2", "M1", 1, "1.00")], PATTERN_RULES, SPEC);
    const logged = [checkpointOf(state)];
    for (let i = 0; i < 3; i++) {
      state.apply(txns("C1", "M1", 1, "1.00"), PATTERN_RULES, SPEC);
      logged.push(checkpointOf(state));
    }
    expect(logged.map((c) => [c.fullSet, c.pairs.map((p) => `${p.customer}:${p.n}`)])).toEqual([
      [false, ["C1:1", "C2:1"]],
      [false, ["C1:2"]],
      [false, ["C1:3"]],
      [true, ["C1:4", "C2:1"]],
    ]);
    expect(state.loggedPairs).toBe(2);
  });
});

/** takeCheckpoint with its pairs unpacked as a load reads them. */
function checkpointOf(state: PartitionAggregates): { fullSet: boolean; pairs: PartitionPairAggregate[] } {
  const { fullSet, pairs } = state.takeCheckpoint();
  const unpacked: PartitionPairAggregate[] = [];
  unpackPairs(state.partition, pairs.text, unpacked);
  expect(unpacked).toHaveLength(pairs.count);
  return { fullSet, pairs: unpacked };
}

describe("merchant summary", () => {
  it("shows each customer's exact total and an average that never reads above the true one", () => {
    const state = new PartitionAggregates(0, 0, 0, noWeights, 0);
    state.apply(
      [...txns("C1", "M1", 3, "22.995"), ...txns("C2", "M1", 2, "10"), ...txns("C2", "M1", 1, "0.02"), ...txns("C3", "M1", 1, "7")],
      PATTERN_RULES,
      SPEC,
    );
    expect(summarizeMerchant(0, "M1", state.merchants.get("M1")).topCustomers).toEqual([
      { customer: "C1", transactions: 3, totalAmount: "68.985", averageAmount: "22.995", weight: null },
      { customer: "C2", transactions: 3, totalAmount: "20.02", averageAmount: "6.6733", weight: null },
      { customer: "C3", transactions: 1, totalAmount: "7", averageAmount: "7", weight: null },
    ]);
  });
});

/** Explanations: the figures behind each detection, on inputs worked out by hand (docs/rules.md lists the keys). */

/** What PatId1–3 fire for `rows`, as `patternId|customer` → explanation. */
function applied(rows: Transaction[], t: PatternThresholds = SPEC, weights: PartitionWeights = new Map()): Record<string, Explanation> {
  const fired = new PartitionAggregates(0, 0, 0, weights, 0).apply(rows, PATTERN_RULES, t);
  return Object.fromEntries(fired.map((d) => [`${d.patternId}|${d.customer}`, d.explanation]));
}

/** What PatId4–6 fire for the last of `rows`, as `patternId` → explanation. */
function judgedLast(rows: Transaction[], t: PatternThresholds = SPEC): Record<string, Explanation> {
  const fired = new PartitionAggregates(0, 0, 0, new Map(), 0).judge(rows, TRANSACTION_RULES, t);
  return Object.fromEntries(fired.filter((d) => d.line === rows[rows.length - 1].line).map((d) => [d.patternId, d.explanation]));
}

/** Customer C1's transactions at M1 with these amounts, on lines 2, 3, … */
const history = (...amounts: string[]): Transaction[] => amounts.map((amount, i) => ({ ...txns("C1", "M1", 1, amount)[0], line: i + 2 }));

describe("explanations of PatId1–3", () => {
  it("CHILD: n and the exact average, cut off at 6 decimals so that it never reads 23", () => {
    // (79 x 23 + 22.99) / 80 = 22.999875
    expect(applied([...txns("C1", "M1", 79, "23.00"), ...txns("C1", "M1", 1, "22.99")])).toEqual({ "PatId2|C1": { n: 80, avg: "22.999875" } });
    // 23 - 0.0000000000000000000001/80: below 23, shown below it
    expect(applied([...txns("C1", "M1", 79, "23"), ...txns("C1", "M1", 1, "22.9999999999999999999")])).toEqual({ "PatId2|C1": { n: 80, avg: "22.999999" } });
  });

  it("DEI-NEEDED: F and M", () => {
    const women = Array.from({ length: 101 }, (_, i) => txns(`F${i}`, "M1", 1, "50", "F")).flat();
    const men = Array.from({ length: 102 }, (_, i) => txns(`M${i}`, "M1", 1, "50", "M")).flat();
    expect(applied([...women, ...men])).toEqual({ "PatId3|": { F: 101, M: 102 } });
  });

  it("UPGRADE: n, the count quantile Tn exactly, w and the weight quantile Tw", () => {
    // C0..C9 with n = 1..10 and weights 10..1: Tn = 0.9 quantile of 1..10 = 9.1; Tw = 0.1 quantile of 1..10 = 1.9; C9 (n 10, w 1).
    const weights: PartitionWeights = new Map([["M1", new Map(Array.from({ length: 10 }, (_, i) => [`C${i}`, 10 - i]))]]);
    const rows = Array.from({ length: 10 }, (_, i) => txns(`C${i}`, "M1", i + 1, "1.00")).flat();
    expect(applied(rows, { ...SPEC, upgradeMinMerchantTxns: 1 }, weights)).toEqual({ "PatId1|C9": { n: 10, Tn: "9.1", w: "1.000000", Tw: "1.900000" } });
    // 11 customers: the 0.9 quantile of 1..11 is 10 exactly, written without decimals; weights 0.5, 1..10 at 0.1: exactly 1.
    const w11: PartitionWeights = new Map([["M1", new Map([...weights.get("M1")!, ["C10", 0.5]])]]);
    const r11 = Array.from({ length: 11 }, (_, i) => txns(`C${i}`, "M1", i + 1, "1.00")).flat();
    expect(applied(r11, { ...SPEC, upgradeMinMerchantTxns: 1 }, w11)).toEqual({
      "PatId1|C9": { n: 10, Tn: "10", w: "1.000000", Tw: "1.000000" },
      "PatId1|C10": { n: 11, Tn: "10", w: "0.500000", Tw: "1.000000" },
    });
  });
});

describe("explanations of PatId4–6", () => {
  it("HIGH-VALUE: the amount and the threshold as written", () => {
    expect(judgedLast(history("5000.00"))).toEqual({ PatId4: { amount: "5000.00", threshold: "5000" } });
    expect(judgedLast(history("250.5"), { ...SPEC, highValueMinAmount: "250.50" })).toEqual({ PatId4: { amount: "250.5", threshold: "250.50" } });
  });

  it("BLACKLISTED: the entry listed and its reason, the customer's when both are listed", () => {
    const t = (...ids: string[]) => ({ ...SPEC, blacklist: ids.map((id) => ({ id, reason: `why ${id}` })) });
    expect(judgedLast(history("10"), t("M1"))).toEqual({ PatId5: { id: "M1", reason: "why M1" } });
    expect(judgedLast(history("10"), t("M1", "C1"))).toEqual({ PatId5: { id: "C1", reason: "why C1" } });
  });

  it("ANOMALY: the amount, the earlier transactions' n, mean and population sd, and z, cut off at 6 decimals", () => {
    // 10 x 10 and 10 x 20: mean 15, sd 5; 40 is (40 - 15) / 5 = 5 sds above
    const even = [...Array<string>(10).fill("10"), ...Array<string>(10).fill("20")];
    expect(judgedLast(history(...even, "40"))).toEqual({ PatId6: { amount: "40", n: 20, mean: "15.000000", sd: "5.000000", z: "5.000000" } });
    // 19 x 10 and 1 x 20: mean 10.5, sd sqrt(1900)/20 = 2.17944947…; 30 has z = 390/sqrt(1900) = 8.94721362…
    const skewed = [...Array<string>(19).fill("10.00"), "20.00"];
    expect(judgedLast(history(...skewed, "30"))).toEqual({ PatId6: { amount: "30", n: 20, mean: "10.500000", sd: "2.179449", z: "8.947213" } });
  });

  it("ANOMALY needs ANOMALY_MIN_HISTORY earlier transactions, counted at any merchant", () => {
    // The customer's earlier transactions alternate between M1 and M2; the judged one is at M3.
    const spread = (n: number): Transaction[] => [
      ...Array.from({ length: n }, (_, i) => ({ ...txns("C1", i % 2 === 0 ? "M1" : "M2", 1, i % 2 === 0 ? "10" : "20")[0], line: i + 2 })),
      { ...txns("C1", "M3", 1, "1000")[0], line: n + 2 },
    ];
    expect(judgedLast(spread(19))).toEqual({}); // 19 earlier: too few, however far above
    expect(judgedLast(spread(20))).toEqual({ PatId6: { amount: "1000", n: 20, mean: "15.000000", sd: "5.000000", z: "197.000000" } });
  });

  it("ANOMALY after equal amounts: sd 0 and no z", () => {
    expect(judgedLast(history(...Array<string>(20).fill("10"), "10.01"))).toEqual({
      PatId6: { amount: "10.01", n: 20, mean: "10.000000", sd: "0.000000", z: null },
    });
  });
});
