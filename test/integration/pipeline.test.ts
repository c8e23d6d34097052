import { QUARANTINE_PREFIX } from "../../src/storage/object-store";
import { expectExactAggregates, expectExactResult, expectExactStats, scaledCase } from "../support/expectations";
import { freshBucket, freshDatabase } from "../support/infra";
import { chunkIndexOf, freePort, pipelineEnv, query, startProgram, waitFor } from "../support/pipeline";
import type { ReferenceResult } from "../support/reference";

let files: { transactions: string; importance: string };
let reference: ReferenceResult;
/** The scaled thresholds and a blacklist of one customer and one merchant. */
let SCALED_ENV: Record<string, string>;

beforeAll(async () => {
  const scaled = await scaledCase(24_000, 7, 0.01);
  ({ files, reference } = scaled);
  SCALED_ENV = scaled.blacklist.env;
});

describe("the pipeline, one process, real PostgreSQL and S3", () => {
  it("the generated data makes every pattern fire, so the comparison means something", () => {
    const patterns = new Set(reference.detections.map((d) => d.patternId));
    expect([...patterns].sort()).toEqual(["PatId1", "PatId2", "PatId3", "PatId4", "PatId5", "PatId6"]);
    expect(reference.badRows.length).toBeGreaterThan(50);
  });

  it("--once writes exactly the SPEC.md detections to both sinks and quarantines every bad row", async () => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const run = startProgram("start", ["--once", "--source", files.transactions, "--importance", files.importance], pipelineEnv(databaseUrl, s3, SCALED_ENV));
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('"rowsBad"');

    await expectExactResult(databaseUrl, s3, reference);
    await expectExactAggregates(databaseUrl, reference);
    await expectExactStats(databaseUrl, reference);

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
    const env = pipelineEnv(databaseUrl, s3, { ...SCALED_ENV, CHUNK_INTERVAL_MS: "150", API_PORT: String(apiPort) });
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
    await expectExactResult(databaseUrl, s3, reference);
    await expectExactStats(databaseUrl, reference);
    const [{ landed }] = await query<{ landed: number }>(databaseUrl, `SELECT chunks_written AS landed FROM chunker_progress`);
    expect(landed).toBe(reference.chunks);
  });
});
