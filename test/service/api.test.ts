import { moveToPatternDetections } from "../../src/storage/outbox";
import { freePort } from "../support/pipeline";
import { commitDetections, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;
let base: string;

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["api"], { apiPort });
  base = `http://127.0.0.1:${apiPort}`;
  await commitDetections(bed.rt, 3); // CHILD for C0, C1, C2 at M1
  await moveToPatternDetections(await bed.rt.db(), 1000);
});

afterAll(async () => {
  await bed?.stop();
});

interface Page {
  items: Array<{ patternId: string; actionType: string; customer: string; merchant: string }>;
  nextCursor: string | null;
}

const detections = (query: Record<string, string>) => bed.broker.call<Page, Record<string, string>>("api.detections", query);

describe("api service", () => {
  it("lists detections newest first, filtered by pattern id or action type, a page at a time", async () => {
    const first = await detections({ pattern: "CHILD", limit: "2" });
    expect(first.items.map((d) => d.customer)).toEqual(["C2", "C1"]);
    expect(first.items[0]).toMatchObject({ patternId: "PatId2", actionType: "CHILD", merchant: "M1" });
    const second = await detections({ pattern: "PatId2", limit: "2", cursor: first.nextCursor! });
    expect(second).toMatchObject({ items: [{ customer: "C0" }], nextCursor: null });
    expect((await detections({ merchant: "M2" })).items).toEqual([]);
  });

  it("refuses a bad parameter with a 400 that says what is wrong, before any handler runs", async () => {
    const refusal = async (query: string) => {
      const res = await fetch(`${base}/api/detections?${query}`);
      expect(res.status).toBe(400);
      return ((await res.json()) as { error: { type: string; message: string } }).error;
    };
    expect(await refusal("limit=abc")).toEqual({ type: "INVALID_QUERY", message: 'limit must be an integer from 1 to 1000; got "abc"' });
    expect((await refusal("pattern=PatId9")).message).toContain("pattern must be one of PatId1, UPGRADE, PatId2, CHILD");
    expect((await refusal("colour=red")).message).toBe('unknown parameter "colour"; use pattern, merchant, customer, since, until, status, limit, cursor');
    expect((await refusal("merchant=a&merchant=b")).message).toBe('merchant must be given once; got ["a","b"]');
    expect((await refusal("since=yesterday")).message).toBe('since must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30; got "yesterday"');
    expect((await refusal("since=2026-11-24&until=2026-11-23")).message).toBe("since must not be after until");
    expect((await refusal("cursor=bm9wZQ")).message).toBe("cursor is not one this API returned");
  });

  it("counts detections per pattern and chunks in the stats", async () => {
    expect(await bed.broker.call("api.stats")).toMatchObject({ inDatabase: { PatId2: 3 }, chunks: { discovered: 0, applied: 0, failed: 0 }, failedChunks: [] });
  });

  it("reports database and S3 reachable and which node runs which service", async () => {
    expect(await bed.broker.call("api.health")).toEqual({
      status: "ok",
      checks: { database: "ok", s3: "ok" },
      services: {
        chunker: [],
        ingest: [],
        "merchant-state": [],
        "customer-state": [],
        detector: [],
        "db-sink": [],
        "s3-sink": [],
        alerts: [],
        api: [bed.broker.nodeID],
      },
    });
  });

  it("serves the same over HTTP, errors as JSON, and nothing but its routes", async () => {
    const ok = await fetch(`${base}/api/detections?pattern=CHILD`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as Page).items).toHaveLength(3);
    const bad = await fetch(`${base}/api/detections?limit=0`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { type: "INVALID_QUERY", message: expect.stringContaining("limit must be an integer") as string } });
    expect((await fetch(`${base}/api/$node/list`)).status).toBe(404);
  });

  it("shows the figures that made each detection fire, and null for one committed before they were kept", async () => {
    const latest = (await (await fetch(`${base}/api/detections?pattern=CHILD&limit=1`)).json()) as { items: Array<Record<string, unknown>> };
    expect(latest.items).toMatchObject([{ customer: "C2", explanation: { n: 82, avg: "22.500000" } }]);
    // As migration 1766000000000 leaves a detection of before: an empty object.
    await (
      await bed.rt.db()
    ).query(
      `INSERT INTO pattern_detections (ystarttime, detectiontime, patternid, actiontype, customer, merchant, chunk, amount, line, explanation)
       VALUES (now(), now(), 'PatId4', 'HIGH-VALUE', 'C9', 'M3', 'transaction-chunks/t/chunk-0.csv', 6000, 2, '{}')`,
    );
    const old = (await (await fetch(`${base}/api/detections?merchant=M3`)).json()) as { items: Array<Record<string, unknown>> };
    expect(old.items).toMatchObject([{ patternId: "PatId4", amount: "6000", explanation: null }]);
  });
});
