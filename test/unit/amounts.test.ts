import {
  add,
  addDecimalTo,
  addSquareTo,
  addTo,
  compare,
  decimalOf,
  divideDown,
  formatDecimal,
  isPlainDecimal,
  multiply,
  parseDecimal,
  ZERO,
  type Decimal,
  type DecimalSum,
} from "../../src/decimal";
import { amountProblem, MAX_AMOUNT_DIGITS, moneySetting } from "../../src/money";

const d = (text: string): Decimal => decimalOf(text, "test value");
const sum = (...texts: string[]): string => formatDecimal(texts.map(d).reduce(add, ZERO));

describe("exact decimals", () => {
  it.each([
    ["4.55", 455, 2],
    ["12", 12, 0],
    ["0.125", 125, 3],
    ["22.995", 22995, 3],
    ["007.50", 750, 2],
  ])("%s keeps every digit it was written with", (text, units, scale) => {
    expect(parseDecimal(text)).toEqual({ units, scale });
    expect(formatDecimal(d(text))).toBe(text.replace(/^0+(?=\d)/, ""));
  });

  it("goes past what a float or a safe integer holds without losing a digit", () => {
    expect(formatDecimal(d("123456789012345678901234567890.000000000000000000001"))).toBe("123456789012345678901234567890.000000000000000000001");
    expect(sum("9007199254740991", "1")).toBe("9007199254740992");
    expect(sum("9007199254740991", "2")).toBe("9007199254740993");
    expect(sum("0.1", "0.2")).toBe("0.3");
    expect(sum("0.000000000000000001", "1")).toBe("1.000000000000000001");
    expect(sum("4.55", "12", "0.125")).toBe("16.675");
    // back under the safe limit, a sum continues on the fast path
    expect(add(d("0.0000000000000000001"), d("0.0000000000000000001"))).toEqual({ units: 2, scale: 19 });
  });

  it("sums in place across scales exactly as add does, staying a number while the sum is a safe integer", () => {
    const texts = ["4.55", "12", "0.125", "7.5", "9007199254740.991", "0.0001", "3", "123456789012345678901234567890.5", "1.25"];
    const fromText: DecimalSum = { units: 0, scale: 0 };
    const fromDecimal: DecimalSum = { units: 0, scale: 0 };
    const squares: DecimalSum = { units: 0, scale: 0 };
    let expected: Decimal = ZERO;
    let expectedSquares: Decimal = ZERO;
    for (const text of texts) {
      addTo(fromText, text, "test value");
      addDecimalTo(fromDecimal, d(text));
      addSquareTo(squares, d(text));
      expected = add(expected, d(text));
      expectedSquares = add(expectedSquares, { units: BigInt(d(text).units) ** 2n, scale: 2 * d(text).scale });
      expect(fromText).toEqual(expected);
      expect(fromDecimal).toEqual(expected);
      expect(formatDecimal(squares)).toBe(formatDecimal(expectedSquares));
      expect(squares.scale).toBe(2 * fromText.scale);
    }
    const early: DecimalSum = { units: 0, scale: 0 };
    for (const text of ["4.55", "12", "0.125", "7.5"]) addTo(early, text, "test value");
    expect(early).toEqual({ units: 24175, scale: 3 });
  });

  it("compares exactly across scales", () => {
    expect(compare(d("22.995"), d("23"))).toBeLessThan(0);
    expect(compare(d("23.000"), d("23"))).toBe(0);
    expect(compare(d("23.0000000000000000001"), d("23"))).toBeGreaterThan(0);
    expect(compare(d("99999999999999999999"), d("99999999999999999998.9999"))).toBeGreaterThan(0);
  });

  it("multiplies by a count exactly", () => {
    expect(formatDecimal(multiply(d("22.995"), 80))).toBe("1839.600");
    expect(formatDecimal(multiply(d("90071992547409.91"), 1000))).toBe("90071992547409910.00");
  });

  it("divides down to a given number of decimals, never rounding up", () => {
    expect(formatDecimal(divideDown(d("68.985"), 3, 5))).toBe("22.99500");
    expect(formatDecimal(divideDown(d("2"), 3, 2))).toBe("0.66");
    expect(formatDecimal(divideDown(d("22.9999"), 1, 2))).toBe("22.99");
  });
});

describe("amounts in the input", () => {
  it.each(["4.55", "12", "0.125", "22.995", "0", "0.00"])("%s is valid", (text) => expect(amountProblem(text)).toBeUndefined());

  it.each([
    ["0x10", 'amount "0x10" is not a plain decimal (digits, optionally a point and more digits)'],
    ["1e3", 'amount "1e3" is not a plain decimal (digits, optionally a point and more digits)'],
    [".5", 'amount ".5" is not a plain decimal (digits, optionally a point and more digits)'],
    ["+4", 'amount "+4" is not a plain decimal (digits, optionally a point and more digits)'],
    ["NaN", 'amount "NaN" is not a plain decimal (digits, optionally a point and more digits)'],
    ["12.", 'amount "12." is not a plain decimal (digits, optionally a point and more digits)'],
    ["Infinity", 'amount "Infinity" is not a plain decimal (digits, optionally a point and more digits)'],
    ["1,5", 'amount "1,5" is not a plain decimal (digits, optionally a point and more digits)'],
    ["4 .5", 'amount "4 .5" is not a plain decimal (digits, optionally a point and more digits)'],
    ["-5.00", 'amount "-5.00" is negative'],
    ["", "amount is empty"],
  ])("%j is refused: %s", (text, reason) => expect(amountProblem(text)).toBe(reason));

  it("refuses more digits than any money has, which PostgreSQL could not store in a sum", () => {
    const longest = `${"9".repeat(MAX_AMOUNT_DIGITS / 2)}.${"9".repeat(MAX_AMOUNT_DIGITS / 2)}`;
    expect(amountProblem(longest)).toBeUndefined();
    expect(amountProblem("9".repeat(MAX_AMOUNT_DIGITS))).toBeUndefined();
    expect(amountProblem("9".repeat(MAX_AMOUNT_DIGITS + 1))).toMatch(/has more than/);
    expect(amountProblem(`${longest}9`)).toMatch(new RegExp(`^amount "9{40}\\.\\.\\." has more than ${MAX_AMOUNT_DIGITS} digits$`));
  });

  it("is read by the arithmetic exactly as it is validated", () => {
    for (const text of ["4.55", "12", "0", "0.125", "1.", ".1", "1..2", "1.2.3", "", ".", "-1", "+1", "1e3", "0x10", " 1", "1 ", "١٢"]) {
      expect([text, parseDecimal(text) !== undefined]).toEqual([text, isPlainDecimal(text)]);
    }
  });

  it("quotes a long or unprintable amount shortened and cleaned", () => {
    expect(amountProblem(`1\u0000${"9".repeat(100)}`)).toBe(
      `amount "1?${"9".repeat(38)}..." is not a plain decimal (digits, optionally a point and more digits)`,
    );
  });

  it("takes a money setting with decimals, and names it when it is not one", () => {
    expect(moneySetting("22.995", "CHILD_MAX_AVG_AMOUNT")).toBe("22.995");
    expect(() => moneySetting("1e3", "CHILD_MAX_AVG_AMOUNT")).toThrow('CHILD_MAX_AVG_AMOUNT: amount "1e3" is not a plain decimal');
  });
});
