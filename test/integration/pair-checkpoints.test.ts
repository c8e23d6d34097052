import type { DataSource } from "typeorm";
import { formatDecimal, parseDecimal } from "../../src/decimal";
import { openDatabase } from "../../src/storage/database";
import { appendPairCheckpoints, PackedHistories, PackedPairs, readPairCheckpoints, type PairAggregate } from "../../src/storage/pair-checkpoints";
import { selectRows } from "../../src/storage/sql";
import { freshDatabase } from "../support/infra";

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

const pair = (customer: string, n: number, amount: string, merchant = "M1"): PairAggregate => ({
  merchant,
  customer,
  n,
  amount: parseDecimal(amount)!,
  gender: "F",
});

function packed(...pairs: PairAggregate[]): PackedPairs {
  const into = new PackedPairs();
  for (const p of pairs) into.add(p.merchant, p.customer, p.n, p.amount, p.gender);
  return into;
}

let ds: DataSource;

beforeAll(async () => {
  ds = await openDatabase({ url: await freshDatabase(), applicationName: "test", log });
});

afterAll(async () => {
  await ds.destroy();
});

describe("the checkpoint log of a partition", () => {
  it("reads back every entry since the last full set in order, drops the rows before a full set, and the view shows each pair's latest values", async () => {
    await appendPairCheckpoints(
      ds,
      [{ partition: 0, fullSet: false, histories: new PackedHistories(), pairs: packed(pair("C1", 1, "1.50"), pair("C2", 1, "2")) }],
      1,
    );
    await appendPairCheckpoints(ds, [{ partition: 0, fullSet: false, histories: new PackedHistories(), pairs: packed(pair("C1", 2, "3.00")) }], 2);
    await appendPairCheckpoints(
      ds,
      [{ partition: 0, fullSet: true, histories: new PackedHistories(), pairs: packed(pair("C1", 3, "4.25"), pair("C2", 1, "2"), pair("C3", 1, "0.10")) }],
      3,
    );
    await appendPairCheckpoints(
      ds,
      [
        { partition: 0, fullSet: false, histories: new PackedHistories(), pairs: packed(pair("C3", 2, "0.20")) },
        { partition: 1, fullSet: false, histories: new PackedHistories(), pairs: packed(pair("C9", 1, "9.99", "M2")) },
        { partition: 2, fullSet: false, histories: new PackedHistories(), pairs: packed() },
      ],
      4,
    );

    const { pairs, logged } = await readPairCheckpoints(ds, [0, 1, 2]);
    expect(pairs.map((p) => `${p.partition}:${p.merchant}:${p.customer}:${p.n}:${formatDecimal(p.amount)}`)).toEqual([
      "0:M1:C1:3:4.25",
      "0:M1:C2:1:2",
      "0:M1:C3:1:0.10",
      "0:M1:C3:2:0.20",
      "1:M2:C9:1:9.99",
    ]);
    expect(logged).toEqual(
      new Map([
        [0, 4],
        [1, 1],
      ]),
    );
    expect(await selectRows(ds, `SELECT partition, seq::int FROM pair_checkpoints ORDER BY partition, seq`)).toEqual([
      { partition: 0, seq: 3 },
      { partition: 0, seq: 4 },
      { partition: 1, seq: 4 },
    ]);
    expect(
      await selectRows(
        ds,
        `SELECT partition, merchant, customer, txn_count AS n, amount_sum::text AS amount, gender FROM pair_aggregates ORDER BY partition, customer`,
      ),
    ).toEqual([
      { partition: 0, merchant: "M1", customer: "C1", n: 3, amount: "4.25", gender: "F" },
      { partition: 0, merchant: "M1", customer: "C2", n: 1, amount: "2", gender: "F" },
      { partition: 0, merchant: "M1", customer: "C3", n: 2, amount: "0.20", gender: "F" },
      { partition: 1, merchant: "M2", customer: "C9", n: 1, amount: "9.99", gender: "F" },
    ]);
  });

  it("holds customers' histories beside the pairs: a later entry replaces an earlier one, a full set drops the rows before it", async () => {
    const histories = (...entries: Array<[string, number, string, string]>): PackedHistories => {
      const packedHistories = new PackedHistories();
      for (const [customer, n, sum, sumSquares] of entries)
        packedHistories.add({ customer, n, sum: parseDecimal(sum)!, sumSquares: parseDecimal(sumSquares)! });
      return packedHistories;
    };
    await appendPairCheckpoints(ds, [{ partition: 7, fullSet: true, pairs: packed(), histories: histories(["C1", 1, "2.50", "6.2500"]) }], 1);
    await appendPairCheckpoints(
      ds,
      [{ partition: 7, fullSet: false, pairs: packed(), histories: histories(["C1", 2, "3.50", "7.2500"], ["C2", 1, "1", "1"]) }],
      2,
    );
    const read = await readPairCheckpoints(ds, [7]);
    expect(read.histories.map((h) => `${h.customer}:${h.n}:${formatDecimal(h.sum)}:${formatDecimal(h.sumSquares)}`)).toEqual([
      "C1:1:2.50:6.2500",
      "C1:2:3.50:7.2500",
      "C2:1:1:1",
    ]);
    expect(read.logged.get(7)).toBe(3);
    const view = await selectRows<{ customer: string; n: number; sum: string }>(
      ds,
      `SELECT customer, txn_count AS n, amount_sum::text AS sum FROM customer_histories WHERE partition = 7 ORDER BY customer`,
    );
    expect(view).toEqual([
      { customer: "C1", n: 2, sum: "3.50" },
      { customer: "C2", n: 1, sum: "1" },
    ]);
    await appendPairCheckpoints(ds, [{ partition: 7, fullSet: true, pairs: packed(), histories: histories(["C2", 1, "1", "1"]) }], 3);
    expect((await readPairCheckpoints(ds, [7])).histories.map((h) => h.customer)).toEqual(["C2"]);
  });

  it("keeps a lone empty gender and ids with spaces and quotes as they were", async () => {
    const odd: PairAggregate = { merchant: "M 'x'", customer: 'C "1"', n: 7, amount: parseDecimal("123456789012345678.5")!, gender: "" };
    await appendPairCheckpoints(ds, [{ partition: 5, fullSet: true, histories: new PackedHistories(), pairs: packed(odd) }], 9);
    const { pairs } = await readPairCheckpoints(ds, [5]);
    expect(pairs).toEqual([{ partition: 5, ...odd }]);
  });

  it("keeps the row a partition has at a chunk when a second node checkpoints it at the same chunk (nodes stopping together), and the other partitions of that checkpoint with it", async () => {
    const none = new PackedHistories();
    await appendPairCheckpoints(ds, [{ partition: 10, fullSet: true, histories: none, pairs: packed(pair("C1", 1, "1")) }], 18);
    // The node that held partition 10 checkpoints it as it stops, at chunk 21.
    await appendPairCheckpoints(ds, [{ partition: 10, fullSet: false, histories: none, pairs: packed(pair("C1", 4, "4")) }], 21);
    // Another node took it over from chunk 18's checkpoint, replayed to 21, and stops too: a full set of 10 and a delta of 11.
    await appendPairCheckpoints(
      ds,
      [
        { partition: 10, fullSet: true, histories: none, pairs: packed(pair("C1", 4, "4")) },
        { partition: 11, fullSet: false, histories: none, pairs: packed(pair("C7", 2, "7")) },
      ],
      21,
    );
    const { pairs } = await readPairCheckpoints(ds, [10, 11]);
    // The entries in order: folded (the latest of each pair), partition 10 holds C1 4 times, as both nodes had it.
    expect(pairs.map((p) => `${p.partition}:${p.customer}:${p.n}:${formatDecimal(p.amount)}`)).toEqual(["10:C1:1:1", "10:C1:4:4", "11:C7:2:7"]);
    // The first node's row stays, and the rows it rests on were not dropped for the second node's full set.
    const rows = await selectRows<{ seq: number; fullSet: boolean }>(
      ds,
      `SELECT seq::int, full_set AS "fullSet" FROM pair_checkpoints WHERE partition = 10 ORDER BY seq`,
    );
    expect(rows).toEqual([
      { seq: 18, fullSet: true },
      { seq: 21, fullSet: false },
    ]);
  });
});
