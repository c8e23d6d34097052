import { writeFileSync } from "node:fs";
import path from "node:path";
import { DataSource } from "typeorm";
import { Initial1763900000000 } from "../../entities/migrations/1763900000000-initial";
import { ensurePartitions, openDatabase } from "../../src/storage/database";
import { loadPartitions } from "../../src/state/partition-loader";
import { PgPartitionStore } from "../../src/storage/partition-store";
import { QUARANTINE_PREFIX } from "../../src/storage/object-store";
import { freshBucket, freshDatabase, tempDir } from "../support/infra";
import { pipelineEnv, query, startProgram } from "../support/pipeline";

const HEADER = '"step","customer","age","gender","zipcodeOri","merchant","zipMerchant","category","amount","fraud"';
const row = (customer: string, amount: string) => `0,'${customer}','3','F','28007','M1','28007','es_food',${amount},0`;
const NOT_PLAIN = ["0x10", "1e3", ".5", "+4", "NaN", "12.", "Infinity"];
const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe("amounts are exact, from the file to the detections", () => {
  it("80 amounts of 22.995 make CHILD fire; amounts not in plain decimals are quarantined and their neighbours applied", async () => {
    // C1's rows alternate with rows whose amount is not plain decimal notation: accepted as numbers
    // (1e3 = 1000, 0x10 = 16, ...) they would lift C1's average above 23; rounded to cents, 22.995 is 23.00.
    const lines = [HEADER];
    for (let i = 0; i < 80; i++) {
      lines.push(row("C1", "22.995"));
      if (i < NOT_PLAIN.length) lines.push(row("C1", NOT_PLAIN[i]));
    }
    lines.push(...Array.from({ length: 80 }, () => row("C2", "23.000")), row("C3", "-1.50"), row("C3", "0.000000000000000000001"));
    const dir = tempDir();
    const transactions = path.join(dir, "transactions.csv");
    const importance = path.join(dir, "importance.csv");
    writeFileSync(transactions, `${lines.join("\n")}\n`);
    writeFileSync(importance, `"Source","Target","Weight","typeTrans","fraud"\n'C1','M1',1.5,'es_food',0\n`);
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);

    const run = startProgram("start", ["--once", "--source", transactions, "--importance", importance], pipelineEnv(databaseUrl, s3, { CHUNK_ROWS: "1000" }));
    expect(await run.exited).toBe(0);

    const detections = await query(databaseUrl, `SELECT patternid, customer, merchant FROM pattern_detections`);
    expect(detections).toEqual([{ patternid: "PatId2", customer: "C1", merchant: "M1" }]);
    const sums = await query(databaseUrl, `SELECT customer, txn_count, amount_sum::text FROM pair_aggregates ORDER BY customer`);
    expect(sums).toEqual([
      { customer: "C1", txn_count: 80, amount_sum: "1839.600" },
      { customer: "C2", txn_count: 80, amount_sum: "1840.000" },
      { customer: "C3", txn_count: 1, amount_sum: "0.000000000000000000001" },
    ]);

    const [key] = await s3.store.listKeys(QUARANTINE_PREFIX);
    const quarantined = (await s3.store.readText(key)).trim().split("\n").slice(1);
    const reasons = quarantined.map((l) => /^[^,]+,(\d+),("(?:[^"]|"")*"|[^,]*),/.exec(l)!.slice(1, 3));
    expect(reasons).toEqual([
      ...NOT_PLAIN.map((amount, i) => [String(3 + 2 * i), `"amount ""${amount}"" is not a plain decimal (digits, optionally a point and more digits)"`]),
      [String(lines.length - 1), `"amount ""-1.50"" is negative"`],
    ]);
  });

  it("the migration turns stored cents into exact amounts", async () => {
    const url = await freshDatabase();
    const old = new DataSource({ type: "postgres", url, migrations: [Initial1763900000000], migrationsTableName: "typeorm_migrations", logging: false });
    await old.initialize();
    await old.runMigrations();
    await old.query(`INSERT INTO partition_state (partition) VALUES (0)`);
    await old.query(
      `INSERT INTO pair_aggregates (partition, merchant, customer, txn_count, amount_cents, gender) VALUES (0, 'M1', 'C1', 3, 6899, 'F'), (0, 'M1', 'C2', 1, 5, 'M')`,
    );
    await old.destroy();

    const ds = await openDatabase({ url, applicationName: "test", log });
    try {
      await ensurePartitions(ds, 1);
      expect(await ds.query(`SELECT customer, amount_sum::text FROM pair_aggregates ORDER BY customer`)).toEqual([
        { customer: "C1", amount_sum: "68.99" },
        { customer: "C2", amount_sum: "0.05" },
      ]);
      const { aggregates } = await loadPartitions(new PgPartitionStore(ds), [0]);
      expect(aggregates.get(0)!.merchant("M1").customers.get("C1")).toMatchObject({ n: 3, amount: { units: 6899, scale: 2 } });
    } finally {
      await ds.destroy();
    }
  });
});
