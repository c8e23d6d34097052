import { integerQuantileAt, parseProbability, quantileAt, type Probability } from "../../src/quantile";

const quantileValue = (sorted: number[], q: Probability) => quantileAt(sorted.length, (i) => sorted[i], q);
function isAtLeastIntegerQuantile(value: number, sorted: number[], q: Probability): boolean {
  const t = integerQuantileAt(sorted.length, (i) => sorted[i], q);
  return value * t.den >= t.num;
}

describe("quantiles by linear interpolation", () => {
  const q = (t: string) => parseProbability(t, "q");

  it("agrees with numpy/percentile_cont", () => {
    // numpy.quantile([1, 2, 3, 4, 10], [0.9, 0.1, 0.5]) = [7.6, 1.4, 3.0]
    expect(quantileValue([1, 2, 3, 4, 10], q("0.9"))).toBeCloseTo(7.6, 12);
    expect(quantileValue([1, 2, 3, 4, 10], q("0.1"))).toBeCloseTo(1.4, 12);
    expect(quantileValue([1, 2, 3, 4, 10], q("0.5"))).toBe(3);
    expect(quantileValue([5], q("0.9"))).toBe(5);
    expect(quantileValue([1, 2], q("1"))).toBe(2);
    expect(quantileValue([1, 2], q("0"))).toBe(1);
  });

  it("compares a count to the threshold exactly when the threshold lands on a sample", () => {
    // 11 samples: position (11-1)*0.9 = 9 exactly, the 10th sample, 9. In floats 10*0.9 is fine, but 0.7*10 is 7.000000000000001.
    const counts = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    expect(isAtLeastIntegerQuantile(8, counts, q("0.7"))).toBe(true);
    expect(isAtLeastIntegerQuantile(7, counts, q("0.7"))).toBe(false);
    expect(isAtLeastIntegerQuantile(10, counts, q("0.90"))).toBe(true);
    expect(isAtLeastIntegerQuantile(9, counts, q("0.90"))).toBe(false);
  });

  it("compares to an interpolated threshold", () => {
    // [1, 2, 3, 4, 10] at 0.9 is 7.6: 8 is in, 7 is not
    expect(isAtLeastIntegerQuantile(8, [1, 2, 3, 4, 10], q("0.9"))).toBe(true);
    expect(isAtLeastIntegerQuantile(7, [1, 2, 3, 4, 10], q("0.9"))).toBe(false);
  });

  it("refuses probabilities it cannot represent exactly", () => {
    expect(() => parseProbability("1.5", "UPGRADE_COUNT_QUANTILE")).toThrow("UPGRADE_COUNT_QUANTILE must be between 0 and 1");
    expect(() => parseProbability("abc", "UPGRADE_COUNT_QUANTILE")).toThrow('got "abc"');
    expect(parseProbability("0.01", "q")).toEqual({ num: 1, den: 100, text: "0.01" });
  });
});
