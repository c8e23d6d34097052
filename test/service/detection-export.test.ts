import { get, type IncomingMessage } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { sleep } from "../../src/retry";
import { renderDetectionFile } from "../../src/sinks/s3-detection-writer";
import { findDetection } from "../../src/storage/detection-query";
import { changeReview } from "../../src/storage/detection-reviews";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { startServices, type ServiceTestBed } from "../support/service-broker";

const ROWS = 100_000;
const HEADER = "YStartTime,detectionTime,patternId,ActionType,customerName,MerchantId,chunk,amount,line";

let bed: ServiceTestBed;
let base: string;
let childIds: number[];

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["api"], { apiPort });
  base = `http://127.0.0.1:${apiPort}/api`;
  const ds = await bed.rt.db();
  // Three CHILD detections first (a customer id that needs quoting among them), then 100k HIGH-VALUE ones.
  await ds.query(
    `INSERT INTO pattern_detections (ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, explanation)
     SELECT '2026-11-23T10:00:00+05:30'::timestamptz + i * interval '1 minute', '2026-11-23T10:00:01.5+05:30'::timestamptz + i * interval '1 minute',
       'PatId2', 'CHILD', (ARRAY['C"1,a', 'C2', 'C3'])[i], 'M1', 'transaction-chunks/t/chunk-1.csv', '{"n": 3, "avg": "20.000000"}'
     FROM generate_series(1, 3) AS i`,
  );
  await ds.query(
    `INSERT INTO pattern_detections (ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line, explanation)
     SELECT '2026-11-24T00:00:00Z'::timestamptz + i * interval '1 second', '2026-11-24T00:00:02Z'::timestamptz + i * interval '1 second',
       'PatId4', 'HIGH-VALUE', 'C' || i, 'M' || (i % 10), 'transaction-chunks/t/chunk-' || (i / 1000) || '.csv', ((5000 + i % 997) || '.25')::numeric, i % 1000 + 2,
       jsonb_build_object('amount', (5000 + i % 997) || '.25', 'threshold', '5000')
     FROM generate_series(1, $1::int) AS i`,
    [ROWS],
  );
  childIds = (await selectRows<{ id: number }>(ds, `SELECT id FROM pattern_detections WHERE patternid = 'PatId2' ORDER BY id`)).map((r) => r.id);
});

afterAll(async () => {
  await bed?.stop();
});

/** Memory in use after a full collection (what is live, not garbage waiting for the collector): the heap and the buffers outside it. */
function liveMemory(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

describe("the CSV export", () => {
  it(`streams all ${ROWS.toLocaleString("en")} detections oldest first in the layout of the S3 files, in flat memory`, async () => {
    // Samples of live memory from before the request to after the stream.
    const samples = [liveMemory()];
    // node:http rather than fetch: a paused response stops reading the socket, so what the client holds stays
    // a few kilobytes, and what is measured (the same process) is the server's.
    const res = await new Promise<IncomingMessage>((resolve, reject) => get(`${base}/detections.csv`, resolve).on("error", reject));
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(res.headers["content-disposition"]).toBe('attachment; filename="detections.csv"');

    // A slow client: the server must wait for it, not gather the rest of the export in memory.
    const decoder = new TextDecoder();
    let bytes = 0;
    let lines = 0;
    let head = "";
    let tail = "";
    let chunks = 0;
    for await (const value of res as AsyncIterable<Buffer>) {
      bytes += value.length;
      const text = decoder.decode(value, { stream: true });
      for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines++;
      if (head.length < 1000) head += text;
      tail = (tail + text).slice(-1000);
      if (chunks++ % 16 === 0) {
        await sleep(20);
        samples.push(liveMemory());
      }
    }

    expect(lines).toBe(ROWS + 3 + 1);
    expect(bytes).toBeGreaterThan(12 * 1024 * 1024);
    // A whole body (12+ MB of text, or the rows behind it) would be live at once; the stream holds a batch or two.
    samples.push(liveMemory());
    // The largest rise over any earlier sample: memory an earlier test file of this jest worker frees meanwhile is no growth.
    let lowest = samples[0];
    let growth = 0;
    for (const sample of samples) {
      lowest = Math.min(lowest, sample);
      growth = Math.max(growth, sample - lowest);
    }
    expect(growth).toBeLessThan(8 * 1024 * 1024);
    console.info(`exported ${bytes} bytes; live memory varied by ${(growth / 1024 / 1024).toFixed(1)} MB over ${samples.length} samples`);

    const [header, first, second] = head.split("\n");
    expect(header).toBe(HEADER);
    expect(first).toBe('2026-11-23T10:01:00.000+05:30,2026-11-23T10:01:01.500+05:30,PatId2,CHILD,"C""1,a",M1,transaction-chunks/t/chunk-1.csv,,');
    const ds = await bed.rt.db();
    expect(`${HEADER}\n${first}\n${second}\n`).toBe(renderDetectionFile([(await findDetection(ds, childIds[0]))!, (await findDetection(ds, childIds[1]))!]));
    const last = tail.trimEnd().split("\n").pop();
    expect(last).toBe(`2026-11-25T09:16:40.000+05:30,2026-11-25T09:16:42.000+05:30,PatId4,HIGH-VALUE,C${ROWS},M0,transaction-chunks/t/chunk-100.csv,5300.25,2`);
  });

  it("exports only what the filters select, also for Accept: text/csv on the list", async () => {
    await changeReview(await bed.rt.db(), childIds[1], { status: "confirmed" }, "api key test");
    const csv = await fetch(`${base}/detections.csv?pattern=CHILD&status=new`);
    const unreviewed = (await csv.text()).trimEnd().split("\n");
    expect(unreviewed).toEqual([HEADER, expect.stringContaining(',"C""1,a",M1,') as string, expect.stringContaining(",C3,M1,") as string]);
    const negotiated = await fetch(`${base}/detections?pattern=CHILD&status=confirmed&merchant=M1`, { headers: { Accept: "text/csv" } });
    expect(negotiated.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const rows = (await negotiated.text()).trimEnd().split("\n");
    expect(rows).toEqual([HEADER, expect.stringContaining(",PatId2,CHILD,C2,M1,") as string]);
    const timed = await fetch(`${base}/detections.csv?merchant=M3&since=2026-11-24T00:00:00Z&until=2026-11-24T00:01:00Z`);
    expect(
      (await timed.text())
        .trimEnd()
        .split("\n")
        .slice(1)
        .map((l) => l.split(",")[4]),
    ).toEqual(["C3", "C13", "C23", "C33", "C43", "C53"]);
    // A client that prefers JSON gets the page.
    const json = await fetch(`${base}/detections?pattern=CHILD`, { headers: { Accept: "application/json, text/csv;q=0.5" } });
    expect(((await json.json()) as { items: unknown[] }).items).toHaveLength(3);
  });

  it.each([
    ["detections.csv?since=yesterday", 'since must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30; got "yesterday"'],
    ["detections.csv?limit=10", 'unknown parameter "limit"; use pattern, merchant, customer, since, until, status'],
    ["detections.csv?status=closed", 'status must be one of new, reviewing, confirmed, dismissed; got "closed"'],
  ])("refuses a bad filter with a 400 before any CSV: %s", async (path, message) => {
    const res = await fetch(`${base}/${path}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ error: { type: "INVALID_QUERY", message } });
    const negotiated = await fetch(`${base}/${path.replace(".csv", "")}`, { headers: { Accept: "text/csv" } });
    expect(negotiated.status).toBe(400);
  });
});
