import type { Transaction } from "../../src/csv/transactions";
import { Random, WeightedPicker } from "../../src/demo/random";
import { PATTERN_RULES, type PatternThresholds } from "../../src/patterns";
import { integerQuantileAt, parseProbability, quantileAt, type Probability } from "../../src/quantile";
import { PartitionAggregates } from "../../src/state/partition-aggregates";
import { loadPartitions } from "../../src/state/partition-loader";
import type { PartitionPairAggregate } from "../../src/storage/pair-checkpoints";

/**
 * UPGRADE as it was evaluated before the incremental index: after every chunk,
 * every customer of every merchant above the minimum, with counts and weights
 * sorted afresh. Kept here as the oracle.
 */
class ScanningUpgrade {
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly emitted = new Set<string>();

  constructor(
    private readonly weightOf: (merchant: string, customer: string) => number | undefined,
    private readonly t: PatternThresholds,
  ) {}

  /** The detections that fire for the first time after `rows`, as `customer|merchant`. */
  apply(rows: readonly Transaction[]): string[] {
    for (const { merchant, customer } of rows) {
      let byCustomer = this.counts.get(merchant);
      if (!byCustomer) this.counts.set(merchant, (byCustomer = new Map<string, number>()));
      byCustomer.set(customer, (byCustomer.get(customer) ?? 0) + 1);
    }
    const fired: string[] = [];
    for (const [merchant, byCustomer] of this.counts) {
      const total = [...byCustomer.values()].reduce((a, b) => a + b, 0);
      const weights = [...byCustomer.keys()].map((c) => this.weightOf(merchant, c)).filter((w): w is number => w !== undefined);
      if (total <= this.t.upgradeMinMerchantTxns || weights.length === 0) continue;
      const counts = [...byCustomer.values()].sort((a, b) => a - b);
      weights.sort((a, b) => a - b);
      const tn = integerQuantileAt(counts.length, (i) => counts[i], this.t.upgradeCountQuantile);
      const tw = quantileAt(weights.length, (i) => weights[i], this.t.upgradeWeightQuantile);
      for (const [customer, n] of byCustomer) {
        const w = this.weightOf(merchant, customer);
        const key = `${customer}|${merchant}`;
        if (w !== undefined && w <= tw && n * tn.den >= tn.num && !this.emitted.has(key)) {
          this.emitted.add(key);
          fired.push(key);
        }
      }
    }
    return fired.sort();
  }

  emittedSoFar(): string[] {
    return [...this.emitted];
  }
}

const MERCHANTS = ["M0", "M1", "M2", "M3"];
/** M0 crosses 50,000 transactions about a third of the way, M1 near the end, M2 and M3 never. */
const MERCHANT_SHARE = [0.45, 0.34, 0.15, 0.06];
const CUSTOMERS = 2_000;
const CHUNKS = 36;
const CHUNK_ROWS = 5_000;

/**
 * Customers differ in activity, which drifts from chunk to chunk, so counts
 * spread and repeat and new customers keep reaching the top; weights take a few
 * values, and a fifth of the pairs have none.
 */
function randomStream(seed: number) {
  const random = new Random(seed);
  const activity = Array.from({ length: CUSTOMERS }, () => random.logNormal(1));
  const weights = new Map<string, Map<string, number>>();
  for (const merchant of MERCHANTS) {
    const byCustomer = new Map<string, number>();
    // Some weighted customers never buy at the merchant: the importance data is wider than the stream.
    for (let c = 0; c < CUSTOMERS + 50; c++) if (random.next() >= 0.2) byCustomer.set(`C${c}`, 0.5 + random.int(5) * 0.25);
    weights.set(merchant, byCustomer);
  }
  const chunks = Array.from({ length: CHUNKS }, () => {
    for (let d = 0; d < CUSTOMERS / 20; d++) activity[random.int(CUSTOMERS)] = random.logNormal(1.5);
    const picker = new WeightedPicker(activity);
    return Array.from({ length: CHUNK_ROWS }, (): Transaction => {
      const r = random.next();
      const merchant = MERCHANTS[r < MERCHANT_SHARE[0] ? 0 : r < MERCHANT_SHARE[0] + MERCHANT_SHARE[1] ? 1 : r < 0.94 ? 2 : 3];
      return { customer: `C${picker.pick(random)}`, merchant, gender: random.next() < 0.5 ? "F" : "M", amount: "30.00", line: 0, category: "es_food" };
    });
  });
  return { weights, chunks };
}

/** A partition as a node reloads it: the live aggregates as checkpointed pairs, and what was emitted, through the loader. */
async function reload(live: PartitionAggregates, weights: Map<string, Map<string, number>>, emitted: readonly string[]): Promise<PartitionAggregates> {
  const pairs: PartitionPairAggregate[] = [...live.merchants.values()].flatMap((m) =>
    [...m.customers.values()].reverse().map((a) => ({ partition: 0, merchant: m.merchant, customer: a.customer, n: a.n, amount: a.amount, gender: a.gender })),
  );
  const store = {
    read: async () => ({
      weights: new Map([[0, weights]]),
      weightsVersion: 1,
      partitions: [{ partition: 0, appliedSeq: live.appliedSeq, checkpointSeq: live.appliedSeq }],
      pairs,
      histories: [],
      loggedPairs: new Map(),
      emitted: emitted.map((key) => {
        const [customer, merchant] = key.split("|");
        return { partition: 0, patternId: "PatId1", merchant, customer };
      }),
      replay: [],
      configVersions: [],
    }),
  };
  return (await loadPartitions(store, [0])).aggregates.get(0)!;
}

const upgradesOf = (state: PartitionAggregates, rows: Transaction[], t: PatternThresholds): string[] =>
  state
    .apply(rows, PATTERN_RULES, t)
    .filter((d) => d.patternId === "PatId1")
    .map((d) => `${d.customer}|${d.merchant}`)
    .sort();

describe("UPGRADE evaluated incrementally agrees with a scan of every customer after every chunk", () => {
  const q = (text: string): Probability => parseProbability(text, "quantile");
  const SPEC: PatternThresholds = {
    upgradeMinMerchantTxns: 50_000,
    upgradeCountQuantile: q("0.90"),
    upgradeWeightQuantile: q("0.10"),
    highValueMinAmount: "5000",
    anomalyMinHistory: 20,
    anomalyZ: "4",
    blacklist: [],
    disabledPatterns: [],
    childMinTxns: 80,
    childMaxAvgAmount: "23",
    deiMinFemaleCustomers: 100,
  };

  it.each([
    ["SPEC's quantiles", 1, SPEC],
    ["the 1% deployment's quantiles", 2, { ...SPEC, upgradeCountQuantile: q("0.99"), upgradeWeightQuantile: q("0.01") }],
    ["quantiles that land between samples", 3, { ...SPEC, upgradeCountQuantile: q("0.8765"), upgradeWeightQuantile: q("0.3333") }],
  ])("with %s, across the 50,000 threshold and a reload from a checkpoint midway", async (_name, seed, t) => {
    const { weights, chunks } = randomStream(seed);
    const oracle = new ScanningUpgrade((m, c) => weights.get(m)?.get(c), t);
    // As a node loads it: the whole importance data known.
    let loaded = await reload(new PartitionAggregates(0, 0, 0, new Map(), 1), weights, []);
    let fired = 0;
    let firedAfterReload = 0;
    for (const [i, rows] of chunks.entries()) {
      if (i === CHUNKS / 2) loaded = await reload(loaded, weights, oracle.emittedSoFar());
      const expected = oracle.apply(rows);
      expect({ chunk: i, fired: upgradesOf(loaded, rows, t) }).toEqual({ chunk: i, fired: expected });
      loaded.appliedSeq = i + 1;
      fired += expected.length;
      if (i >= CHUNKS / 2) firedAfterReload += expected.length;
    }
    // The data must exercise the rule: merchants crossed the threshold and customers kept joining the top after the first firing.
    expect(fired).toBeGreaterThan(10);
    expect(firedAfterReload).toBeGreaterThan(0);
    expect(loaded.merchants.get("M0")!.txnCount).toBeGreaterThan(50_000);
    expect(loaded.merchants.get("M1")!.txnCount).toBeGreaterThan(50_000);
  });
});
