import type { Transaction } from "../../src/csv/transactions";
import type { Explanation } from "../../src/detection";
import { PATTERN_RULES, TRANSACTION_RULES, type PatternThresholds } from "../../src/patterns";
import { parseProbability } from "../../src/quantile";
import { PartitionAggregates, type PartitionWeights } from "../../src/state/partition-aggregates";

/** The figures behind each detection, on inputs worked out by hand (docs/rules.md lists the keys). */

const SPEC: PatternThresholds = {
  upgradeMinMerchantTxns: 50_000,
  upgradeCountQuantile: parseProbability("0.90", "q"),
  upgradeWeightQuantile: parseProbability("0.10", "q"),
  childMinTxns: 80,
  childMaxAvgAmount: "23",
  deiMinFemaleCustomers: 100,
  highValueMinAmount: "5000",
  anomalyMinHistory: 20,
  anomalyZ: "4",
  blacklist: [],
  disabledPatterns: [],
};

function txns(customer: string, merchant: string, count: number, amount: string, gender = "F"): Transaction[] {
  return Array.from({ length: count }, (_, i) => ({ customer, merchant, gender, amount, line: i + 2, category: "es_food" }));
}

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

  it("ANOMALY after equal amounts: sd 0 and no z", () => {
    expect(judgedLast(history(...Array<string>(20).fill("10"), "10.01"))).toEqual({
      PatId6: { amount: "10.01", n: 20, mean: "10.000000", sd: "0.000000", z: null },
    });
  });
});
