import type { Transaction } from "../../src/csv/transactions";
import { parseDecimal } from "../../src/decimal";
import { ChunkCategoryStats } from "../../src/state/category-stats";

const txn = (category: string, amount: string): Transaction => ({ customer: "C1", merchant: "M1", gender: "F", amount, category, line: 2 });

describe("a chunk's statistics by category", () => {
  it("counts every transaction and its exact amount, and those PatId4–6 flagged, by rule", () => {
    const stats = new ChunkCategoryStats();
    stats.count(txn("es_food", "10.10"), parseDecimal("10.10")!, []);
    stats.count(txn("es_food", "0.005"), parseDecimal("0.005")!, ["PatId5", "PatId6"]);
    stats.count(txn("es_travel", "6000"), parseDecimal("6000")!, ["PatId4"]);
    expect(stats.rows()).toEqual([
      {
        category: "es_food",
        transactions: 2,
        amount: "10.105",
        flagged: 1,
        flaggedAmount: "0.005",
        highValue: 0,
        blacklisted: 1,
        blacklistedAmount: "0.005",
        anomaly: 1,
      },
      {
        category: "es_travel",
        transactions: 1,
        amount: "6000",
        flagged: 1,
        flaggedAmount: "6000",
        highValue: 1,
        blacklisted: 0,
        blacklistedAmount: "0",
        anomaly: 0,
      },
    ]);
  });

  it("keeps any category a CSV field holds, NUL replaced and cut at 100 characters, so that two long ones that differ late count together", () => {
    const stats = new ChunkCategoryStats();
    stats.count(txn('food,\n"fresh"', "1"), parseDecimal("1")!, []);
    stats.count(txn("a\u0000b", "1"), parseDecimal("1")!, []);
    stats.count(txn(`${"x".repeat(100)}1`, "1"), parseDecimal("1")!, []);
    stats.count(txn(`${"x".repeat(100)}2`, "1"), parseDecimal("1")!, []);
    // An emoji cut in half by the limit, and a replacement character already there: one key, as in PostgreSQL.
    stats.count(txn(`${"y".repeat(99)}\u{1F600}`, "1"), parseDecimal("1")!, []);
    stats.count(txn(`${"y".repeat(99)}\uFFFD`, "1"), parseDecimal("1")!, []);
    expect(stats.rows().map((r) => [r.category, r.transactions])).toEqual([
      ['food,\n"fresh"', 1],
      ["a\uFFFDb", 1],
      ["x".repeat(100), 2],
      [`${"y".repeat(99)}\uFFFD`, 2],
    ]);
  });
});
