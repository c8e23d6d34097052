import { parseDecimal, type Decimal } from "../../src/decimal";
import { exceedsDeviations, factorOf } from "../../src/patterns/deviation";
import { CustomerHistory } from "../../src/state/customer-history";
import { Random } from "../../src/demo/random";

const dec = (text: string): Decimal => parseDecimal(text)!;

/** SPEC.md's test in bigints over the amounts themselves, at one scale. */
function bruteForce(earlier: readonly string[], amount: string, z: string): boolean {
  const scale = Math.max(...[...earlier, amount, z].map((t) => (t.includes(".") ? t.length - t.indexOf(".") - 1 : 0)));
  const units = (t: string): bigint => {
    const [whole, frac = ""] = t.split(".");
    return BigInt(whole + frac.padEnd(scale, "0"));
  };
  const n = BigInt(earlier.length);
  const s = earlier.reduce((sum, t) => sum + units(t), 0n);
  const q = earlier.reduce((sum, t) => sum + units(t) * units(t), 0n);
  const gap = n * units(amount) - s;
  const zUnits = units(z);
  const one = 10n ** BigInt(scale);
  return gap > 0n && gap * gap * one * one > zUnits * zUnits * (n * q - s * s);
}

function judge(earlier: readonly string[], amount: string, z: string): boolean {
  const history = new CustomerHistory("C1");
  for (const a of earlier) history.add(dec(a));
  return exceedsDeviations(history, dec(amount), factorOf(dec(z)));
}

describe("the ANOMALY test is exact", () => {
  it("does not fire on equality, fires just above it", () => {
    // mean 2, sd 1 (1 and 3): amount - mean > 2 sd means amount > 4.
    expect(judge(["1", "3"], "4", "2")).toBe(false);
    expect(judge(["1", "3"], "4.000000001", "2")).toBe(true);
    expect(judge(["1.00", "3.00"], "4.00", "2.0")).toBe(false);
  });

  it("with a history of equal amounts (sd 0) fires for any larger amount, never for the same", () => {
    expect(judge(["0.10", "0.10", "0.10"], "0.10", "4")).toBe(false);
    expect(judge(["0.10", "0.10", "0.10"], "0.11", "4")).toBe(true);
    expect(judge(["1234567.89", "1234567.89"], "1234567.890000001", "100")).toBe(true);
  });

  it("decides exact ties on the boundary (mean + z sd) against the last digit on either side", () => {
    const random = new Random(11);
    for (let round = 0; round < 500; round++) {
      const d = 1 + random.int(10_000);
      const mean = d + random.int(1_000_000);
      const z = 1 + random.int(6);
      const earlier = [`${mean - d}.00`, `${mean + d}.00`];
      const tie = mean + z * d;
      expect(judge(earlier, `${tie}.00`, String(z))).toBe(false);
      expect(judge(earlier, `${tie}.01`, String(z))).toBe(true);
      expect(judge(earlier, `${tie - 1}.99`, String(z))).toBe(false);
    }
  });

  it("decides exactly with amounts of hundreds of decimals or digits, where floats overflow or underflow", () => {
    const decimals = (text: string, places: number): string => {
      const [whole, frac = ""] = text.split(".");
      return `${whole}.${frac.padEnd(places, "0")}`;
    };
    // A history of equal amounts, then a larger one written with 309 decimals: 10^309 is Infinity as a float.
    const flat = Array.from({ length: 20 }, () => "0.01");
    expect(judge(flat, decimals("0.1", 309), "4")).toBe(true);
    // 0.1 sd above the mean, with 157 decimals: the sum of squares' scale (314) underflows a float to 0.
    const spread = Array.from({ length: 20 }, (_, i) => decimals(i % 2 ? "0.0003" : "0.0001", 157));
    expect(judge(spread, decimals("0.00021", 157), "4")).toBe(false);
    expect(bruteForce(spread, decimals("0.00021", 157), "4")).toBe(false);
    // Amounts of 400 digits: Infinity as floats.
    const big = "9".repeat(400);
    expect(
      judge(
        Array.from({ length: 20 }, () => big),
        `${big}1`,
        "4",
      ),
    ).toBe(true);
  });

  it("agrees with a bigint brute force on random histories, near-ties and amounts past 2^53", () => {
    const random = new Random(7);
    for (let round = 0; round < 3000; round++) {
      const n = 1 + random.int(30);
      const base = random.int(3) === 0 ? "12345678901234.56" : String(1 + random.int(500));
      const earlier = Array.from({ length: n }, () => (random.int(4) === 0 ? base : `${random.int(1000)}.${String(random.int(100)).padStart(2, "0")}`));
      const z = ["0", "1", "2.5", "3", "4"][random.int(5)];
      // Amounts around the threshold mean + z sd, so that many cases are close calls.
      const candidates = [base, `${random.int(2000)}.${random.int(10)}`, earlier[random.int(n)], "0"];
      for (const amount of candidates) expect([earlier, amount, z, judge(earlier, amount, z)]).toEqual([earlier, amount, z, bruteForce(earlier, amount, z)]);
    }
  });
});
