import { BacktestRequestError, candidateEdit, candidateHistory } from "../../src/backtest/candidate";
import { compareDetections } from "../../src/backtest/compare";
import type { ReplayedDetection } from "../../src/backtest/replay";
import { loadConfig } from "../../src/config";
import { recordedThresholds, TRANSACTION_RULE_DEFAULTS } from "../../src/patterns";
import type { ConfigVersionRow } from "../../src/storage/config-versions";

const recorded = recordedThresholds({ ...loadConfig({}, []).thresholds, blacklist: [{ id: "C1", reason: "old" }] });
const row = (version: number, fromSeq: number, childMinTxns: number): ConfigVersionRow => ({
  version,
  fromSeq,
  thresholds: { ...recorded, childMinTxns },
  recordedBy: "test",
  recordedAt: new Date(0),
});

describe("a candidate configuration", () => {
  it("sets what it names on top of each recorded version, from the same chunks", () => {
    const history = candidateHistory([row(1, 1, 80), row(2, 5, 60)], candidateEdit({ anomalyZ: 3.5, disabledPatterns: ["PatId6"] }));
    expect(history.inForce(4)).toMatchObject({ version: 1, thresholds: { childMinTxns: 80, anomalyZ: "3.5", disabledPatterns: ["PatId6"] } });
    expect(history.inForce(5)).toMatchObject({ version: 2, thresholds: { childMinTxns: 60, anomalyZ: "3.5" } });
    expect(history.inForce(5).thresholds.highValueMinAmount).toBe(TRANSACTION_RULE_DEFAULTS.highValueMinAmount);
  });

  it("replaces the blacklist when it gives one; [] empties it", () => {
    const replaced = candidateEdit({ blacklist: [{ id: "M2", reason: "new" }] })(recorded);
    expect(replaced.blacklist).toEqual([{ id: "M2", reason: "new" }]);
    expect(candidateEdit({ blacklist: [] })(recorded).blacklist).toEqual([]);
  });

  it("is refused with the reason: not an object, nothing, an unknown setting, a bad value, a bad blacklist", () => {
    const refused = (candidate: unknown) => {
      try {
        candidateHistory([row(1, 1, 80)], candidateEdit(candidate));
      } catch (err) {
        expect(err).toBeInstanceOf(BacktestRequestError);
        return (err as Error).message;
      }
      throw new Error(`${JSON.stringify(candidate)} was accepted`);
    };
    expect(refused([1])).toContain("JSON object");
    expect(refused({})).toContain("changes nothing");
    expect(refused({ childMinTxn: 3 })).toContain('unknown setting "childMinTxn"');
    expect(refused({ childMinTxns: -1 })).toContain("childMinTxns");
    expect(refused({ blacklist: [{ reason: "no id" }] })).toContain("blacklist entry 1");
  });
});

describe("comparing two replays", () => {
  const d = (patternId: string, customer: string, seq: number, line?: number, explanation = {}): ReplayedDetection => ({
    patternId,
    actionType: patternId,
    customer,
    merchant: "M1",
    seq,
    chunk: `chunk-${seq}`,
    ...(line === undefined ? {} : { line, amount: "10" }),
    explanation,
  });
  const patterns = [
    { patternId: "PatId2", actionType: "CHILD" },
    { patternId: "PatId4", actionType: "HIGH-VALUE" },
  ];

  it("counts the detections of the range, and those only one replay fired by its end", () => {
    const live = [d("PatId2", "A", 1), d("PatId2", "B", 3), d("PatId2", "C", 4), d("PatId4", "A", 3, 7)];
    const candidate = [d("PatId2", "B", 2), d("PatId2", "D", 3), d("PatId2", "E", 9), d("PatId4", "A", 3, 7), d("PatId4", "A", 3, 8)];
    const [child, highValue] = compareDetections(patterns, live, candidate, { fromSeq: 3, toSeq: 4 });
    // B fired earlier with the candidate: neither added nor removed; E is after the range.
    expect(child).toMatchObject({ live: 2, candidate: 1, added: 1, removed: 1 });
    expect(child.addedExamples).toEqual([{ customer: "D", merchant: "M1", seq: 3, chunk: "chunk-3" }]);
    expect(child.removedExamples.map((e) => e.customer)).toEqual(["C"]);
    expect(highValue).toMatchObject({ live: 1, candidate: 2, added: 1, removed: 0 });
    expect(highValue.addedExamples).toEqual([{ customer: "A", merchant: "M1", seq: 3, chunk: "chunk-3", line: 8, amount: "10" }]);
  });

  it("matches detections by identity, not by the figures that made them fire", () => {
    const live = [d("PatId2", "A", 3, undefined, { n: 20, avg: "22.000000" }), d("PatId4", "A", 3, 7, { amount: "10", threshold: "5" })];
    const candidate = [d("PatId2", "A", 3, undefined, { n: 12, avg: "21.500000" }), d("PatId4", "A", 3, 7, { amount: "10", threshold: "2" })];
    for (const pattern of compareDetections(patterns, live, candidate, { fromSeq: 1, toSeq: 4 })) expect(pattern).toMatchObject({ added: 0, removed: 0 });
  });

  it("gives at most the asked number of examples, in chunk order", () => {
    const candidate = [5, 4, 3, 2, 1].map((seq) => d("PatId2", `C${seq}`, seq));
    const [child] = compareDetections(patterns, [], candidate, { fromSeq: 1, toSeq: 10 }, 2);
    expect(child.added).toBe(5);
    expect(child.addedExamples.map((e) => e.seq)).toEqual([1, 2]);
  });
});
