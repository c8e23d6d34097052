import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generate } from "../../src/demo/generator";
import { freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { pipelineEnv, query, startProgram } from "../support/pipeline";
import { TRANSACTIONS_HEADER, transactionLine } from "../support/service-broker";

interface Load {
  id: number;
  sha256: string;
  rows: number;
  skipped: number;
  pairs: number;
}

const LOADED = "loaded customer importance";
const ALREADY_LOADED = "customer importance already loaded";

async function startOnce(databaseUrl: string, s3: TestS3, source: string, importance: string): Promise<string> {
  const run = startProgram("start", ["--once", "--source", source, "--importance", importance], pipelineEnv(databaseUrl, s3, { LOG_LEVEL: "info" }));
  expect(await run.exited).toBe(0);
  return run.output();
}

const loads = (databaseUrl: string) => query<Load>(databaseUrl, `SELECT id::int, sha256, rows, skipped, pairs FROM importance_loads ORDER BY id`);

async function weights(databaseUrl: string): Promise<Record<string, number>> {
  const rows = await query<{ pair: string; weight: number }>(databaseUrl, `SELECT merchant || '|' || customer AS pair, weight FROM customer_weights`);
  return Object.fromEntries(rows.map((r) => [r.pair, r.weight]));
}

describe("the importance file is loaded once per content", () => {
  it("a second start with the same file, even under another path, does not load it again", async () => {
    const dir = tempDir();
    const files = await generate({ rows: 2_000, seed: 5, outDir: dir, dirty: 0, customers: 50, merchants: 5 });
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);

    const first = await startOnce(databaseUrl, s3, files.transactions, files.importance);
    expect(first).toContain(LOADED);
    const [load] = await loads(databaseUrl);
    const loaded = await weights(databaseUrl);

    const copy = path.join(dir, "copy-of-importance.csv");
    copyFileSync(files.importance, copy);
    for (const importance of [files.importance, copy]) {
      const again = await startOnce(databaseUrl, s3, files.transactions, importance);
      expect(again).toContain(ALREADY_LOADED);
      expect(again).not.toContain(LOADED);
    }
    expect(await loads(databaseUrl)).toEqual([load]);
    expect(await weights(databaseUrl)).toEqual(loaded);
  });

  it("a changed file under the same path is loaded, its weights replace the old ones and the weights version moves on", async () => {
    const dir = tempDir();
    const source = path.join(dir, "transactions.csv");
    writeFileSync(source, `${TRANSACTIONS_HEADER}\n${transactionLine("C1", "M1", "10.00")}\n`);
    const importance = path.join(dir, "importance.csv");
    const header = `"Source","Target","Weight","typeTrans","fraud"`;
    writeFileSync(
      importance,
      [
        header,
        `'C1','M1',1.0,'es_food',0`,
        `'C1','M1',2.0,'es_food',0`,
        `'C2','M1',3.5,'es_food',0`,
        // Summed in file order ((1e16 + 1) + 1) - 1e16 is 0; in any other order it may not be.
        ...["1e16", "1", "1", "-1e16"].map((w) => `'C3','M1',${w},'es_food',0`),
        `"C4,x",'M1',2,'es_food',0`,
        `'C5','M1',heavy,'es_food',0`,
        `'C6',"M1,2,'es_food',0`,
        "",
      ].join("\n"),
    );
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);

    await startOnce(databaseUrl, s3, source, importance);
    expect(await weights(databaseUrl)).toEqual({ "M1|C1": 1.5, "M1|C2": 3.5, "M1|C3": 0, "M1|C4,x": 2 });
    const [first] = await loads(databaseUrl);
    expect(first).toMatchObject({ rows: 10, skipped: 2, pairs: 4 });

    writeFileSync(importance, `${header}\n'C1','M1',4.25,'es_food',0\n`);
    const output = await startOnce(databaseUrl, s3, source, importance);
    expect(output).toContain(LOADED);
    expect(await weights(databaseUrl)).toEqual({ "M1|C1": 4.25 });
    const [, second] = await loads(databaseUrl);
    expect(second).toMatchObject({ rows: 1, skipped: 0, pairs: 1 });
    expect(second.sha256).not.toBe(first.sha256);
    expect(second.id).toBeGreaterThan(first.id);
  });
});
