import { readFileSync } from "node:fs";
import { generate } from "../../src/demo/generator";
import { DETECTION_PREFIX, QUARANTINE_PREFIX } from "../../src/storage/object-store";
import { freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { chunkIndexOf, freePort, pipelineEnv, query, startProgram, waitFor } from "../support/pipeline";
import { detectionKey, referenceDetections, type ReferenceResult } from "../support/reference";

/** Scaled so that all three patterns fire on 24,000 rows. */
const THRESHOLDS = {
  upgradeMinMerchantTxns: 3000,
  upgradeCountQuantile: "0.90",
  upgradeWeightQuantile: "0.10",
  childMinTxns: 20,
  childMaxAvgAmount: "23",
  deiMinFemaleCustomers: 10,
};
const CHUNK_ROWS = 2000;
const THRESHOLD_ENV = {
  CHUNK_ROWS: String(CHUNK_ROWS),
  UPGRADE_MIN_MERCHANT_TXNS: String(THRESHOLDS.upgradeMinMerchantTxns),
  CHILD_MIN_TXNS: String(THRESHOLDS.childMinTxns),
  DEI_MIN_FEMALE_CUSTOMERS: String(THRESHOLDS.deiMinFemaleCustomers),
};

let files: { transactions: string; importance: string };
let reference: ReferenceResult;

beforeAll(async () => {
  files = await generate({ rows: 24_000, seed: 7, outDir: tempDir(), dirty: 0.01, customers: 300, merchants: 12 });
  reference = referenceDetections(readFileSync(files.transactions, "utf8"), readFileSync(files.importance, "utf8"), CHUNK_ROWS, THRESHOLDS);
});

async function detectionsInDb(databaseUrl: string): Promise<string[]> {
  const rows = await query<{ patternid: string; customer: string; merchant: string; chunk: string }>(
    databaseUrl, `SELECT patternid, customer, merchant, chunk FROM pattern_detections`,
  );
  return rows.map((r) => detectionKey({ patternId: r.patternid, customer: r.customer, merchant: r.merchant, chunkIndex: chunkIndexOf(r.chunk) })).sort();
}

async function detectionFiles(s3: TestS3): Promise<string[][]> {
  const keys = await s3.store.listKeys(DETECTION_PREFIX);
  return Promise.all(keys.map(async (k) => (await s3.store.readText(k)).trim().split("\n")));
}

async function expectExactResult(databaseUrl: string, s3: TestS3): Promise<void> {
  const expected = reference.detections.map(detectionKey).sort();
  expect(await detectionsInDb(databaseUrl)).toEqual(expected);

  const files = await detectionFiles(s3);
  const inFiles: string[] = [];
  files.forEach((lines, i) => {
    expect(lines[0]).toBe("YStartTime,detectionTime,patternId,ActionType,customerName,MerchantId,chunk");
    if (i < files.length - 1) expect(lines.length - 1).toBe(50);
    for (const line of lines.slice(1)) {
      const [ystart, detected, patternId, , customer, merchant, chunk] = line.split(",");
      expect(ystart).toMatch(/\+05:30$/);
      expect(detected).toMatch(/\+05:30$/);
      inFiles.push(detectionKey({ patternId, customer, merchant, chunkIndex: chunkIndexOf(chunk) }));
    }
  });
  expect(inFiles.sort()).toEqual(expected);
}

describe("the pipeline, one process, real PostgreSQL and S3", () => {
  it("the generated data makes every pattern fire, so the comparison means something", () => {
    const patterns = new Set(reference.detections.map((d) => d.patternId));
    expect([...patterns].sort()).toEqual(["PatId1", "PatId2", "PatId3"]);
    expect(reference.badRows.length).toBeGreaterThan(50);
  });

  it("--once writes exactly the SPEC.md detections to both sinks and quarantines every bad row", async () => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const run = startProgram("start", ["--once", "--source", files.transactions, "--importance", files.importance], pipelineEnv(databaseUrl, s3, THRESHOLD_ENV));
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('"rowsBad"');

    await expectExactResult(databaseUrl, s3);

    const quarantined: string[] = [];
    for (const key of await s3.store.listKeys(QUARANTINE_PREFIX)) {
      const lines = (await s3.store.readText(key)).trim().split("\n").slice(1);
      for (const line of lines) {
        const [chunk, lineNo, reason] = line.split(",");
        expect(reason.length).toBeGreaterThan(3);
        quarantined.push(`${chunkIndexOf(chunk)}:${lineNo}`);
      }
    }
    expect(quarantined.sort()).toEqual(reference.badRows.map((b) => `${b.chunkIndex}:${b.line}`).sort());
    const [ledger] = await query<{ bad: number; chunks: number }>(databaseUrl, `SELECT sum(rows_bad)::int AS bad, count(*)::int AS chunks FROM chunks`);
    expect(ledger).toEqual({ bad: reference.badRows.length, chunks: reference.chunks });
  });

  it("stopped with Ctrl-C and killed with -9 mid-stream, it resumes and the result is still exact", async () => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const apiPort = await freePort();
    const env = pipelineEnv(databaseUrl, s3, { ...THRESHOLD_ENV, CHUNK_INTERVAL_MS: "150", API_PORT: String(apiPort) });
    const args = ["--source", files.transactions, "--importance", files.importance];
    const applied = async (n: number) => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n >= n;

    const first = startProgram("start", args, env);
    await waitFor("3 chunks applied", () => applied(3));
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);

    const second = startProgram("start", args, env);
    await waitFor("6 chunks applied", () => applied(6));
    const api = `http://127.0.0.1:${apiPort}/api`;
    await waitFor("the API", async () => (await fetch(`${api}/health`)).ok);
    const health = await (await fetch(`${api}/health`)).json();
    expect(health).toMatchObject({ status: "ok", checks: { database: "ok", s3: "ok" } });
    type Page = { items: Array<{ id: number; patternId: string }>; nextCursor: string | null };
    const page = (await (await fetch(`${api}/detections?pattern=CHILD&limit=2`)).json()) as Page;
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((d) => d.patternId === "PatId2")).toBe(true);
    if (page.nextCursor) {
      const next = (await (await fetch(`${api}/detections?pattern=CHILD&limit=2&cursor=${page.nextCursor}`)).json()) as Page;
      expect(next.items[0].id).toBeLessThan(page.items[page.items.length - 1].id);
    }
    const bad = await fetch(`${api}/detections?limit=abc`);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("limit must be an integer from 1 to 1000");
    expect((await fetch(`http://127.0.0.1:${apiPort}/api/$node/list`)).status).toBe(404);
    second.child.kill("SIGKILL");
    await second.exited;

    const third = startProgram("start", ["--once", ...args], env);
    expect(await third.exited).toBe(0);
    await expectExactResult(databaseUrl, s3);
    const [{ landed }] = await query<{ landed: number }>(databaseUrl, `SELECT chunks_written AS landed FROM chunker_progress`);
    expect(landed).toBe(reference.chunks);
  });
});

