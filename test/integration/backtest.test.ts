import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { apiService } from "../../services/api.service";
import { detectorService } from "../../services/detector.service";
import { parseApiKeys } from "../../src/api/api-keys";
import { Runtime, type ResolvedConfig } from "../../src/app/runtime";
import { prepareBacktest, type BacktestReport } from "../../src/backtest/backtest";
import type { ReplayedDetection } from "../../src/backtest/replay";
import { loadConfig } from "../../src/config";
import { generate } from "../../src/demo/generator";
import { detectionsInDb, keyWithAmount, SCALED_ENV, SCALED_THRESHOLDS, TEST_CHUNK_ROWS } from "../support/expectations";
import { freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { chunkIndexOf, freePort, pipelineEnv, query, startProgram } from "../support/pipeline";
import { referenceDetections, type ReferenceDetection, type ReferenceResult, type ReferenceThresholds } from "../support/reference";
import { eventually, quietLog } from "../support/service-broker";

const ADMIN = "admin-secret-0123456789";
const READER = "reader-secret-0123456789";
const PATTERNS = ["PatId1", "PatId2", "PatId3", "PatId4", "PatId5", "PatId6"];

let dir: string;
let databaseUrl: string;
let s3: TestS3;
let env: Record<string, string>;
let live: ReferenceResult;
let candidateReference: ReferenceResult;
let candidateFile: string;
/** The candidate: lower CHILD and ANOMALY thresholds, and a blacklist of one customer. */
let candidate: Record<string, unknown>;
/** Chunk key index (0-based, as the reference counts) by ledger sequence. */
let indexBySeq: Map<number, number>;

/** The live tables a backtest must leave alone, as text. */
async function liveTables(): Promise<string> {
  const [detections, outbox, versions, partitions] = await Promise.all([
    query(databaseUrl, `SELECT * FROM pattern_detections ORDER BY id`),
    query(databaseUrl, `SELECT * FROM detection_outbox ORDER BY id`),
    query(databaseUrl, `SELECT * FROM config_versions ORDER BY version`),
    query(databaseUrl, `SELECT * FROM partition_state ORDER BY partition`),
  ]);
  return JSON.stringify({ detections, outbox, versions, partitions });
}

/** PatId1–3 by (pattern, customer, merchant); PatId4–6 by (pattern, chunk, line): as the backtest compares them. */
const identity = (d: ReferenceDetection): string =>
  d.line === undefined ? `${d.patternId}|${d.customer}|${d.merchant}` : `${d.patternId}|${d.chunkIndex}|${d.line}`;

/**
 * Per pattern, between two reference runs, over the chunks (0-based) `from`..`to`: the detections of each,
 * those of the candidate the live run never fired up to `to` (added), and the reverse (removed).
 */
function expectedCounts(from: number, to: number) {
  const inRange = (r: ReferenceResult) => r.detections.filter((d) => d.chunkIndex >= from && d.chunkIndex <= to);
  const firedBy = (r: ReferenceResult) => new Set(r.detections.filter((d) => d.chunkIndex <= to).map(identity));
  const [before, after] = [inRange(live), inRange(candidateReference)];
  const [liveFired, candidateFired] = [firedBy(live), firedBy(candidateReference)];
  return PATTERNS.map((patternId) => {
    const mine = (list: ReferenceDetection[]) => list.filter((d) => d.patternId === patternId);
    return {
      patternId,
      live: mine(before).length,
      candidate: mine(after).length,
      added: mine(after).filter((d) => !liveFired.has(identity(d))).length,
      removed: mine(before).filter((d) => !candidateFired.has(identity(d))).length,
    };
  });
}

const countsOf = (report: BacktestReport) =>
  report.patterns.map(({ patternId, live, candidate, added, removed }) => ({ patternId, live, candidate, added, removed }));

function runtimeConfig(): ResolvedConfig {
  const defaults = loadConfig(SCALED_ENV, []);
  return {
    ...defaults,
    databaseUrl,
    s3: { ...defaults.s3, endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    source: undefined,
    importance: undefined,
  };
}

async function backtestCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; output: string }> {
  const run = startProgram("backtest", args, env);
  const code = await run.exited;
  return { code, stdout: run.stdout(), output: run.output() };
}

beforeAll(async () => {
  dir = tempDir();
  const files = await generate({ rows: 24_000, seed: 7, outDir: dir, dirty: 0.01, customers: 300, merchants: 12 });
  const [header, ...rows] = readFileSync(files.transactions, "utf8").split("\n", 8);
  const customerColumn = header
    .split(",")
    .map((f) => f.replace(/['"]/g, ""))
    .indexOf("customer");
  const blacklisted = rows[4].split(",")[customerColumn].replace(/['"]/g, "");
  candidate = { childMinTxns: 12, anomalyZ: "2.5", blacklist: [{ id: blacklisted, reason: "backtest" }] };
  candidateFile = path.join(dir, "candidate.json");
  writeFileSync(candidateFile, JSON.stringify(candidate));
  const transactions = readFileSync(files.transactions, "utf8");
  const importance = readFileSync(files.importance, "utf8");
  live = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, SCALED_THRESHOLDS);
  const candidateThresholds: ReferenceThresholds = { ...SCALED_THRESHOLDS, childMinTxns: 12, anomalyZ: "2.5", blacklist: [blacklisted] };
  candidateReference = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, candidateThresholds);

  [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
  env = pipelineEnv(databaseUrl, s3, SCALED_ENV);
  const pipeline = startProgram("start", ["--once", "--source", files.transactions, "--importance", files.importance], env);
  expect(await pipeline.exited).toBe(0);
  const ledger = await query<{ seq: number; key: string }>(databaseUrl, `SELECT seq::int AS seq, key FROM chunks ORDER BY seq`);
  indexBySeq = new Map(ledger.map((c) => [c.seq, chunkIndexOf(c.key)]));
});

/** A replayed detection in the reference's terms (its chunk by index), to compare the two. */
function asReference(d: ReplayedDetection): string {
  return keyWithAmount({
    patternId: d.patternId,
    customer: d.customer,
    merchant: d.merchant,
    chunkIndex: chunkIndexOf(d.chunk),
    line: d.line,
    amount: d.amount,
  });
}

describe("npm run backtest", () => {
  let full: BacktestReport;

  it("reports, per pattern, what the candidate adds and removes: the difference of two reference runs; the live tables stay as they were", async () => {
    const before = await liveTables();
    const run = await backtestCli(["--config", candidateFile, "--json"]);
    expect(run.code).toBe(0);
    full = JSON.parse(run.stdout) as BacktestReport;
    expect(full.replayed.chunks).toBe(live.chunks);
    expect(countsOf(full)).toEqual(expectedCounts(0, live.chunks - 1));
    // The candidate changes something in CHILD, BLACKLISTED and ANOMALY.
    for (const p of ["PatId2", "PatId5", "PatId6"]) expect(full.patterns.find((r) => r.patternId === p)!.added).toBeGreaterThan(0);
    expect(await liveTables()).toBe(before);
    const [recorded] = await query<{ requested_by: string; status: string; result: unknown }>(databaseUrl, `SELECT * FROM backtests ORDER BY id DESC LIMIT 1`);
    expect(recorded).toMatchObject({ requested_by: "cli", status: "done" });
    const { id, ...result } = full as BacktestReport & { id: number };
    expect(id).toBeGreaterThan(0);
    expect(recorded.result).toEqual(result);

    const text = await backtestCli(["--config", candidateFile]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/PatId2 +CHILD +\d+ +\d+ +\+\d+ +-\d+/);
    expect(text.stdout).toContain("PatId6 ANOMALY:\n  + ");
  });

  it("replays as live exactly what the pipeline stored, and with the candidate exactly the reference's detections", async () => {
    const rt = new Runtime(runtimeConfig(), quietLog);
    try {
      const prepared = await prepareBacktest(
        { db: await rt.db(), store: rt.store, partitions: rt.config.partitions, maxRecordBytes: rt.config.maxRecordBytes },
        { candidate },
      );
      const outcome = await prepared.run();
      expect(outcome.live.map(asReference).sort()).toEqual(await detectionsInDb(databaseUrl));
      expect(outcome.candidate.map(asReference).sort()).toEqual(candidateReference.detections.map(keyWithAmount).sort());
    } finally {
      await rt.close();
    }
  });

  it("--from and --to restrict the comparison to those chunks", async () => {
    const run = await backtestCli(["--config", candidateFile, "--from", "4", "--to", "7", "--json"]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as BacktestReport;
    expect(report.compared).toEqual({ chunks: 4, fromSeq: 4, toSeq: 7 });
    expect(report.replayed).toEqual({ chunks: 7, firstSeq: 1, lastSeq: 7 });
    expect(countsOf(report)).toEqual(expectedCounts(indexBySeq.get(4)!, indexBySeq.get(7)!));
    for (const p of report.patterns) for (const e of [...p.addedExamples, ...p.removedExamples]) expect(e.seq >= 4 && e.seq <= 7).toBe(true);
  });

  it("refuses a bad candidate with one line saying why, and records nothing", async () => {
    const [{ n }] = await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM backtests`);
    for (const [bad, message] of [
      [{ childMinTxns: -1 }, "childMinTxns"],
      [{ childMinTxn: 3 }, 'unknown setting "childMinTxn"'],
      [{ blacklist: "C1" }, "blacklist must be a list"],
    ] as const) {
      const file = path.join(dir, "bad.json");
      writeFileSync(file, JSON.stringify(bad));
      const run = await backtestCli(["--config", file]);
      expect(run.code).toBe(2);
      expect(run.output.trim().split("\n")).toHaveLength(1);
      expect(run.output).toContain(message);
    }
    writeFileSync(path.join(dir, "bad.json"), "{");
    expect((await backtestCli(["--config", path.join(dir, "bad.json")])).output).toContain("is not JSON");
    expect((await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM backtests`))[0].n).toBe(n);
  });

  it("POST /api/backtests (admin key) answers at once; GET /api/backtests/:id has the same result once done", async () => {
    const apiPort = await freePort();
    const rt = new Runtime({ ...runtimeConfig(), apiPort, apiKeys: parseApiKeys(`ops:admin:${ADMIN},analyst:read:${READER}`) }, quietLog);
    const broker = new ServiceBroker({ nodeID: "backtest-api", transporter: null, logger: false });
    broker.createService(detectorService(rt));
    broker.createService(apiService(rt));
    await broker.start();
    const before = await liveTables();
    const api = async (method: string, route: string, secret: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/${route}`, {
        method,
        headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect((await api("POST", "backtests", READER, { candidate })).status).toBe(403);
      expect(await api("POST", "backtests", ADMIN, { candidate: { anomalyZ: "-2" } })).toMatchObject({
        status: 400,
        body: { error: { message: expect.stringContaining("anomalyZ") as string } },
      });
      expect(await api("POST", "backtests", ADMIN, { candidate, from: "x" })).toMatchObject({
        status: 400,
        body: { error: { message: 'from must be an integer from 1; got "x"' } },
      });
      expect((await api("POST", "backtests", ADMIN, { candidat: candidate })).status).toBe(400);
      // One at a time on a node: the second is refused while the first runs.
      const [first, second] = await Promise.all([api("POST", "backtests", ADMIN, { candidate }), api("POST", "backtests", ADMIN, { candidate })]);
      const [started, refused] = first.status === 200 ? [first, second] : [second, first];
      expect(started).toMatchObject({ status: 200, body: { status: "running" } });
      expect(refused).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining("is running on this node") as string } } });
      const id = started.body.id as number;
      const done = await eventually(
        () => api("GET", `backtests/${id}`, READER),
        (r) => r.body.status !== "running",
        60_000,
      );
      expect(done.body).toMatchObject({ id, status: "done", requestedBy: "api key ops", candidate, fromSeq: null, toSeq: null, error: null });
      const { id: cliId, ...cliResult } = full as BacktestReport & { id: number };
      expect(done.body.result).toEqual(cliResult);
      const list = await api("GET", "backtests", READER);
      const listed = list.body as unknown as Array<{ id: number; requestedBy: string; status: string }>;
      expect(listed.map((b) => b.id)).toEqual(expect.arrayContaining([id, cliId]));
      expect(listed[0]).toMatchObject({ id, requestedBy: "api key ops", status: "done" });
      expect((await api("GET", "backtests/999999", READER)).status).toBe(404);
      expect(await liveTables()).toBe(before);
    } finally {
      await broker.stop();
      await rt.close();
    }
  });

  // Last: it records a second configuration version, as if a change had been made mid-stream.
  it("replays each chunk with the version in force for it, and applies the candidate on top of each version", async () => {
    const LOWERED = { childMinTxns: 12, highValueMinAmount: "200" };
    await query(
      databaseUrl,
      `INSERT INTO config_versions (version, from_seq, thresholds, recorded_by)
       SELECT 2, 6, thresholds || $1::jsonb, 'test' FROM config_versions WHERE version = 1`,
      [JSON.stringify(LOWERED)],
    );
    const [transactions, importance] = [
      readFileSync(path.join(dir, "transactions.csv"), "utf8"),
      readFileSync(path.join(dir, "CustomerImportance.csv"), "utf8"),
    ];
    const seqOf = (k: number) => [...indexBySeq].find(([, index]) => index === k)![0];
    const history = (on: Partial<ReferenceThresholds>) => (k: number) => ({ ...SCALED_THRESHOLDS, ...on, ...(seqOf(k) >= 6 ? LOWERED : {}) });
    const keys = (r: ReferenceResult) => r.detections.map(keyWithAmount).sort();
    const asLive = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, history({}));
    const withCandidate = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, history({ anomalyZ: "2.5" }));
    expect(keys(asLive)).not.toEqual(keys(live));

    const rt = new Runtime(runtimeConfig(), quietLog);
    try {
      const sources = { db: await rt.db(), store: rt.store, partitions: rt.config.partitions, maxRecordBytes: rt.config.maxRecordBytes };
      const outcome = await (await prepareBacktest(sources, { candidate: { anomalyZ: "2.5" } })).run();
      expect(outcome.live.map(asReference).sort()).toEqual(keys(asLive));
      expect(outcome.candidate.map(asReference).sort()).toEqual(keys(withCandidate));
    } finally {
      await rt.close();
    }
  });
});
