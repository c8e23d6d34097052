import { detectionKey, referenceDetections, SPEC_DEFAULTS, type ReferenceDetection, type ReferenceThresholds } from "../support/reference";

/**
 * The reference's transaction rules (SPEC.md, PatId4–6) on small inputs whose
 * detections are worked out by hand. With SPEC_DEFAULTS' PatId1–3 thresholds
 * (80 transactions for CHILD, 100 women for DEI, 50,000 for UPGRADE) none of
 * PatId1–3 can fire on these inputs, so every detection is asserted.
 */

const HEADER = "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud";
const IMPORTANCE = '"Source","Target","Weight","typeTrans","fraud"\n';

/** A valid BankSim row, strings in single quotes as in the real file. */
const tx = (customer: string, merchant: string, amount: string) => `0,'${customer}','4','M','28007','${merchant}','28007','es_transportation',${amount},0`;

const csv = (...rows: string[]) => [HEADER, ...rows].join("\n") + "\n";

/** A PatId4–6 detection as the reference should give it. */
const d = (patternId: string, customer: string, merchant: string, chunkIndex: number, line: number, amount: string): ReferenceDetection => ({
  patternId,
  customer,
  merchant,
  chunkIndex,
  line,
  amount,
});

const byKey = (ds: readonly ReferenceDetection[]) =>
  [...ds].sort((a, b) => (detectionKey(a) < detectionKey(b) ? -1 : detectionKey(a) > detectionKey(b) ? 1 : 0));

function detections(transactions: string, chunkRows: number, t: ReferenceThresholds | ((k: number) => ReferenceThresholds)): ReferenceDetection[] {
  return byKey(referenceDetections(transactions, IMPORTANCE, chunkRows, t).detections);
}

describe("reference: PatId4 HIGH-VALUE", () => {
  it("fires at exactly the threshold whatever the scale it is written with, not a thousandth below", () => {
    const source = csv(
      tx("C1", "M1", "5000"), // line 2: =
      tx("C2", "M1", "5000.00"), // line 3: =
      tx("C3", "M1", "4999.999"), // line 4: <
      tx("C4", "M1", "5000.001"), // line 5: >
      tx("C5", "M1", "4999.99999999999999999999"), // line 6: < (would be 5000 as a double)
      tx("C6", "M1", "'5000'"), // line 7: = (quoted)
    );
    expect(detections(source, 100, SPEC_DEFAULTS)).toEqual(
      byKey([
        d("PatId4", "C1", "M1", 0, 2, "5000"),
        d("PatId4", "C2", "M1", 0, 3, "5000.00"),
        d("PatId4", "C4", "M1", 0, 5, "5000.001"),
        d("PatId4", "C6", "M1", 0, 7, "5000"),
      ]),
    );
  });

  it("compares with a threshold that has decimals exactly", () => {
    const t = { ...SPEC_DEFAULTS, highValueMinAmount: "250.50" };
    const source = csv(tx("C1", "M1", "250.5"), tx("C2", "M1", "250.499"), tx("C3", "M1", "250.500000"), tx("C4", "M1", "250"), tx("C5", "M1", "1000"));
    expect(detections(source, 100, t)).toEqual(
      byKey([d("PatId4", "C1", "M1", 0, 2, "250.5"), d("PatId4", "C3", "M1", 0, 4, "250.500000"), d("PatId4", "C5", "M1", 0, 6, "1000")]),
    );
  });
});

describe("reference: PatId5 BLACKLISTED", () => {
  it("fires once per transaction whose customer or merchant is listed, alongside HIGH-VALUE", () => {
    const t = { ...SPEC_DEFAULTS, blacklist: ["C2", "M3"] };
    const source = csv(
      tx("C1", "M1", "10"), // line 2: neither
      tx("C2", "M1", "10"), // line 3: customer
      tx("C1", "M3", "10"), // line 4: merchant
      tx("C2", "M3", "10"), // line 5: both, still one detection
      tx("C3", "M2", "10"), // line 6: neither
      tx("C2", "M2", "6000"), // line 7: customer, and HIGH-VALUE
      tx("M3", "C2", "10"), // line 8: ids in the other column still match (the list holds ids of either)
    );
    expect(detections(source, 100, t)).toEqual(
      byKey([
        d("PatId5", "C2", "M1", 0, 3, "10"),
        d("PatId5", "C1", "M3", 0, 4, "10"),
        d("PatId5", "C2", "M3", 0, 5, "10"),
        d("PatId5", "C2", "M2", 0, 7, "6000"),
        d("PatId4", "C2", "M2", 0, 7, "6000"),
        d("PatId5", "M3", "C2", 0, 8, "10"),
      ]),
    );
  });

  it("matches ids exactly, not by prefix or case", () => {
    const t = { ...SPEC_DEFAULTS, blacklist: ["C1"] };
    expect(detections(csv(tx("C10", "M1", "1"), tx("c1", "M1", "1"), tx("C1", "M1", "1")), 100, t)).toEqual([d("PatId5", "C1", "M1", 0, 4, "1")]);
  });
});

describe("reference: PatId6 ANOMALY", () => {
  const small = (minHistory: number, z: string): ReferenceThresholds => ({ ...SPEC_DEFAULTS, anomalyMinHistory: minHistory, anomalyZ: z });

  it("does not fire at equality (amount - mean = Z·sd exactly) and fires just above", () => {
    // history 1, 3: n = 2, mean 2, sd 1 (n·Q - S² = 2·10 - 16 = 4). Z = 1: amount 3 is exactly mean + sd.
    const source = csv(
      tx("C1", "M1", "1"),
      tx("C1", "M1", "3"),
      tx("C1", "M1", "3"), // line 4: (2·3 - 4)² = 4 = 1·4: equal, no
      tx("C2", "M1", "1"),
      tx("C2", "M1", "3"),
      tx("C2", "M1", "3.0000001"), // line 7: (2·3.0000001 - 4)² > 4: fires
    );
    expect(detections(source, 100, small(2, "1"))).toEqual([d("PatId6", "C2", "M1", 0, 7, "3.0000001")]);
  });

  it("takes a Z with decimals exactly (2.5: boundary at mean + 2.5·sd)", () => {
    // history 1, 3: mean 2, sd 1; boundary at 4.5: (2·4.5 - 4)² = 25 = 6.25 · 4.
    const source = csv(
      tx("C1", "M1", "1"),
      tx("C1", "M1", "3"),
      tx("C1", "M1", "4.5"), // line 4: equal, no
      tx("C2", "M1", "1"),
      tx("C2", "M1", "3"),
      tx("C2", "M1", "4.51"), // line 7: fires
      tx("C3", "M1", "1"),
      tx("C3", "M1", "3"),
      tx("C3", "M1", "4.49"), // line 10: below, no
    );
    expect(detections(source, 100, small(2, "2.5"))).toEqual([d("PatId6", "C2", "M1", 0, 7, "4.51")]);
    // "2.50" is the same Z
    expect(detections(source, 100, small(2, "2.50"))).toEqual([d("PatId6", "C2", "M1", 0, 7, "4.51")]);
  });

  it("fires on a constant history (sd = 0) only when the amount is above the mean", () => {
    const source = csv(
      tx("C1", "M1", "7"),
      tx("C1", "M1", "7.00"),
      tx("C1", "M1", "7"),
      tx("C1", "M1", "7.000"), // line 5: equal to the mean: no
      tx("C2", "M1", "7"),
      tx("C2", "M1", "7"),
      tx("C2", "M1", "7"),
      tx("C2", "M1", "7.01"), // line 9: above a zero sd: fires whatever Z
      tx("C3", "M1", "7"),
      tx("C3", "M1", "7"),
      tx("C3", "M1", "7"),
      tx("C3", "M1", "6.99"), // line 13: below: no
    );
    expect(detections(source, 100, small(3, "1000"))).toEqual([d("PatId6", "C2", "M1", 0, 9, "7.01")]);
  });

  it("needs at least ANOMALY_MIN_HISTORY earlier transactions, counting earlier ones that did not fire (defaults: 20, Z = 4)", () => {
    const rows = Array.from({ length: 19 }, () => tx("C1", "M1", "10")); // lines 2–20
    rows.push(tx("C1", "M1", "1000")); // line 21: only 19 earlier: no
    // line 22: 20 earlier, 19 × 10 and 1000: S = 1190, Q = 1,001,900, n·Q - S² = 18,621,900;
    // (20·1000 - 1190)² = 353,816,100 > 16 · 18,621,900 = 297,950,400: fires (940.5 above the mean, 4·sd ≈ 863.1).
    rows.push(tx("C1", "M1", "1000"));
    expect(detections(csv(...rows), 100, SPEC_DEFAULTS)).toEqual([d("PatId6", "C1", "M1", 0, 22, "1000")]);
  });

  it("counts the customer's history at every merchant and across chunks", () => {
    const source = csv(
      tx("C1", "M1", "1"), // chunk 0, line 2
      tx("C1", "M2", "3"), // chunk 0, line 3
      tx("C2", "M1", "5"), // chunk 1, line 2: C2 has no history
      tx("C1", "M3", "2"), // chunk 1, line 3
      tx("C1", "M4", "10"), // chunk 2, line 2: history 1, 3, 2: (3·10 - 6)² = 576 > 1 · (3·14 - 36) = 6: fires
      tx("C2", "M4", "10"), // chunk 2, line 3: C2 has one earlier only
    );
    expect(detections(source, 2, small(3, "1"))).toEqual([d("PatId6", "C1", "M4", 2, 2, "10")]);
  });

  it("mixes amounts of different scales exactly", () => {
    // Z = 2, so Z² = 4. Lines 2–4: 0.1, 0.30, 0.2 (history only).
    // line 5, 0.39: n = 3, S = 0.6, Q = 0.14, n·Q - S² = 0.06; (1.17 - 0.6)² = 0.3249 > 4 · 0.06 = 0.24: fires.
    // line 6, 0.465: n = 4, S = 0.99, Q = 0.2921, n·Q - S² = 0.1883; (1.86 - 0.99)² = 0.7569 > 4 · 0.1883 = 0.7532: fires.
    // line 7, 0.4: n = 5, S = 1.455, Q = 0.508325, n·Q - S² = 0.4246; (2 - 1.455)² = 0.297025 < 1.6984: no.
    const source = csv(
      tx("C1", "M1", "0.1"),
      tx("C1", "M1", "0.30"),
      tx("C1", "M1", "0.2"),
      tx("C1", "M1", "0.39"),
      tx("C1", "M1", "0.465"),
      tx("C1", "M1", "0.4"),
    );
    expect(detections(source, 100, small(3, "2"))).toEqual(byKey([d("PatId6", "C1", "M1", 0, 5, "0.39"), d("PatId6", "C1", "M1", 0, 6, "0.465")]));
  });
});

describe("reference: PatId4–6 over a stream", () => {
  it("does not count bad rows as history, nor judge them, and numbers lines as badRows does", () => {
    const source = csv(
      tx("C1", "M1", "1"), // line 2
      tx("C1", "M1", "3"), // line 3
      tx("C1", "M1", "+9999"), // line 4: bad amount (and would be HIGH-VALUE)
      tx("C1", "M1", "1e3"), // line 5: bad amount
      "0,'C1','4','M','28007','M1','28007','es_transportation',9000,2", // line 6: bad fraud flag
      "0,'C1','4','M','28007','M1','28007',9000,0", // line 7: 9 fields
      tx("C1", "M1", "100"), // line 8: 2 valid earlier < 3: no
      tx("C1", "M1", "1000"), // line 9: history 1, 3, 100: (3000 - 104)² = 8,386,816 > 3·10010 - 104² = 19,214: fires
    );
    const result = referenceDetections(source, IMPORTANCE, 100, { ...SPEC_DEFAULTS, anomalyMinHistory: 3, anomalyZ: "1" });
    expect(result.badRows).toEqual([4, 5, 6, 7].map((line) => ({ chunkIndex: 0, line })));
    expect(byKey(result.detections)).toEqual([d("PatId6", "C1", "M1", 0, 9, "1000")]);
  });

  it("reads quoted fields and a quoted header, and numbers a record spanning lines by its first line", () => {
    const t = { ...SPEC_DEFAULTS, highValueMinAmount: "100", blacklist: ["C 2"] };
    const source =
      [
        '"step","customer","age","gender","zipcodeOri","merchant","zipMerchant","category","amount","fraud"',
        `0,"C1","4","M","28007","M1","28007","es_a, ""b""\nsecond line",'150.00',0`, // lines 2–3
        `0,"C 2",'4','F','28007','M2','28007','es_food',"99.99",0`, // line 4: blacklisted, below 100
        `0,C3,4,M,28007,M3,28007,es_food,"100",0`, // line 5: unquoted strings, quoted amount
      ].join("\n") + "\n";
    expect(detections(source, 100, t)).toEqual(
      byKey([d("PatId4", "C1", "M1", 0, 2, "150.00"), d("PatId5", "C 2", "M2", 0, 4, "99.99"), d("PatId4", "C3", "M3", 0, 5, "100")]),
    );
  });

  it("judges each chunk with the thresholds in force for it (function form), history carrying over", () => {
    const before = { ...SPEC_DEFAULTS, anomalyMinHistory: 2, anomalyZ: "1" };
    const after = { ...SPEC_DEFAULTS, highValueMinAmount: "100", blacklist: ["M2"], anomalyMinHistory: 2, anomalyZ: "10" };
    const source = csv(
      tx("C1", "M1", "150"), // chunk 0, line 2: 150 < 5000
      tx("C1", "M2", "10"), // chunk 0, line 3: blacklist empty; C1 has 1 earlier
      tx("C1", "M1", "100"), // chunk 1, line 2: >= 100; history 150, 10: mean 80, sd 70, 20 above: no ANOMALY (with Z = 10 or 1)
      tx("C9", "M2", "10"), // chunk 1, line 3: M2 listed now
      tx("C2", "M3", "1"), // chunk 2, line 2
      tx("C2", "M3", "1"), // chunk 2, line 3
      tx("C2", "M3", "1.5"), // chunk 3, line 2: sd 0, above the mean: fires whatever Z
    );
    const t = (k: number) => (k === 0 ? before : after);
    expect(detections(source, 2, t)).toEqual(
      byKey([d("PatId4", "C1", "M1", 1, 2, "100"), d("PatId5", "C9", "M2", 1, 3, "10"), d("PatId6", "C2", "M3", 3, 2, "1.5")]),
    );
    // With the chunk-0 thresholds throughout, only the sd-0 ANOMALY.
    expect(detections(source, 2, before)).toEqual([d("PatId6", "C2", "M3", 3, 2, "1.5")]);
  });
});

describe("detectionKey", () => {
  it("keeps the PatId1–3 form and adds the line for PatId4–6", () => {
    expect(detectionKey({ patternId: "PatId2", customer: "C1", merchant: "M1", chunkIndex: 3 })).toBe("PatId2|C1|M1|3");
    expect(detectionKey(d("PatId4", "C1", "M1", 3, 17, "5000"))).toBe("PatId4|C1|M1|3|17");
  });
});

describe("reference: PatId6 against a from-scratch brute force", () => {
  it("agrees with recomputing mean and sd from every earlier amount, on mixed scales", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed / 2 ** 31);
    const rows: Array<{ customer: string; amount: string }> = [];
    for (let i = 0; i < 4000; i++) {
      const customer = `C${Math.floor(random() * 40)}`;
      const decimals = Math.floor(random() * 4);
      const big = random() < 0.03 ? 20 : 1;
      const amount = (random() * 100 * big).toFixed(decimals);
      rows.push({ customer, amount });
    }
    const t: ReferenceThresholds = { ...SPEC_DEFAULTS, anomalyMinHistory: 10, anomalyZ: "2.75", highValueMinAmount: "1000000" };
    const expected: string[] = [];
    const earlier = new Map<string, string[]>();
    rows.forEach((r, i) => {
      const history = earlier.get(r.customer) ?? [];
      if (history.length >= 10) {
        const all = [...history, r.amount];
        const scale = Math.max(...all.map((a) => (a.split(".")[1] ?? "").length));
        const units = (a: string) => BigInt(a.replace(".", "") + "0".repeat(scale - (a.split(".")[1] ?? "").length));
        const n = BigInt(history.length);
        const s = history.reduce((acc, a) => acc + units(a), 0n);
        const q = history.reduce((acc, a) => acc + units(a) ** 2n, 0n);
        const above = n * units(r.amount) - s;
        // Z = 11/4
        if (above > 0n && 16n * above ** 2n > 121n * (n * q - s * s)) expected.push(`PatId6|${r.customer}|M1|${Math.floor(i / 1000)}|${(i % 1000) + 2}`);
      }
      earlier.set(r.customer, [...history, r.amount]);
    });
    const source = csv(...rows.map((r) => tx(r.customer, "M1", r.amount)));
    const actual = referenceDetections(source, IMPORTANCE, 1000, t)
      .detections.filter((x) => x.patternId === "PatId6")
      .map(detectionKey)
      .sort();
    expect(expected.length).toBeGreaterThan(10);
    expect(actual).toEqual(expected.sort());
  });
});
