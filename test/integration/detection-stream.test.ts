import { generate } from "../../src/demo/generator";
import { dropDatabase, freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { freePort, pipelineEnv, query, startProgram, waitFor, type RunningProcess } from "../support/pipeline";
import { SseClient } from "../support/sse-client";

const CHUNKS = 24;

let files: { transactions: string; importance: string };
let databaseUrl: string;
let s3: TestS3;
let port: number;
let run: RunningProcess | undefined;

beforeAll(async () => {
  files = await generate({ rows: CHUNKS * 1000, seed: 23, outDir: tempDir(), dirty: 0, customers: 200, merchants: 8 });
  [databaseUrl, s3, port] = await Promise.all([freshDatabase(), freshBucket(), freePort()]);
});

afterAll(async () => {
  if (run && run.child.exitCode === null) run.child.kill("SIGKILL");
  await run?.exited;
  await dropDatabase(new URL(databaseUrl).pathname.slice(1));
});

function startPipeline(): RunningProcess {
  return startProgram(
    "start",
    ["--source", files.transactions, "--importance", files.importance],
    // A low HIGH-VALUE threshold makes detections in every chunk; chunks land every 250 ms.
    pipelineEnv(databaseUrl, s3, { API_PORT: String(port), CHUNK_ROWS: "1000", CHUNK_INTERVAL_MS: "250", HIGH_VALUE_MIN_AMOUNT: "150" }),
  );
}

async function started(): Promise<RunningProcess> {
  const r = startPipeline();
  await waitFor("the API", async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok, 30_000);
  return r;
}

const stream = (headers: Record<string, string> = {}, query = "") => SseClient.open(`http://127.0.0.1:${port}/api/detections/stream${query}`, headers);
const appliedChunks = async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n;

describe("the detection stream across disconnects and restarts of the pipeline and its api node", () => {
  it("gives a client that resumes with Last-Event-ID every detection exactly once, in id order", async () => {
    run = await started();
    const first = await stream({}, "?after=0");
    await first.waitForEvents(20, 30_000);
    await first.close();
    expect(await appliedChunks()).toBeLessThan(CHUNKS);

    // The whole process dies while the stream would go on; the client comes back after the restart.
    run.child.kill("SIGKILL");
    await run.exited;
    run = await started();
    const second = await stream({ "Last-Event-ID": first.lastEventId! });
    await second.waitForEvents(1, 30_000);

    // A graceful stop ends the open stream, so the node stops at once; the client resumes again.
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
    await waitFor("the stream to end", async () => second.ended, 5_000);
    run = await started();
    const third = await stream({ "Last-Event-ID": second.lastEventId! });

    await waitFor("every chunk applied", async () => (await appliedChunks()) === CHUNKS, 90_000);
    await waitFor(
      "the outbox drained",
      async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM detection_outbox WHERE NOT db_done`))[0].n === 0,
    );
    const stored = await query<{ id: number; patternid: string; customer: string; merchant: string; chunk: string; line: number | null; explanation: unknown }>(
      databaseUrl,
      `SELECT id::int, patternid, customer, merchant, chunk, line, explanation FROM pattern_detections ORDER BY id`,
    );
    await waitFor("the stream to catch up", async () => third.lastEventId === String(stored[stored.length - 1].id), 20_000);
    await third.close();

    const received = [...first.events, ...second.events, ...third.events].map((e) => {
      const d = JSON.parse(e.data) as {
        id: number;
        patternId: string;
        customer: string;
        merchant: string;
        chunk: string;
        line: number | null;
        explanation: unknown;
      };
      expect(e.id).toBe(String(d.id));
      return { id: d.id, patternid: d.patternId, customer: d.customer, merchant: d.merchant, chunk: d.chunk, line: d.line, explanation: d.explanation };
    });
    expect(stored.length).toBeGreaterThan(100);
    // Each event carries the figures that made its detection fire.
    expect(stored.every((d) => d.explanation !== null && Object.keys(d.explanation as object).length > 0)).toBe(true);
    expect(received).toEqual(stored);
  });
});
