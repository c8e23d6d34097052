import { freePort } from "../support/pipeline";
import { commitDetections, startServices, type ServiceTestBed } from "../support/service-broker";
import { SseClient } from "../support/sse-client";

let bed: ServiceTestBed;
let base: string;
const open: SseClient[] = [];

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["api", "db-sink"], { apiPort });
  base = `http://127.0.0.1:${apiPort}/api/detections/stream`;
});

afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await bed?.stop();
});

async function stream(query = "", headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(`${base}${query}`, headers);
  open.push(client);
  return client;
}

const customers = (c: SseClient): string[] => c.events.map((e) => (JSON.parse(e.data) as { customer: string }).customer);

describe("GET /api/detections/stream", () => {
  it("sends each detection as it is stored, with its id as the event id, from the moment of connecting", async () => {
    await commitDetections(bed.rt, 2, 0);
    await bed.broker.call("db-sink.sync");
    const client = await stream();
    expect(client.status).toBe(200);
    await commitDetections(bed.rt, 3, 100);
    const events = await client.waitForEvents(3);
    expect(customers(client)).toEqual(["C100", "C101", "C102"]);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(JSON.parse(events[0].data)).toMatchObject({ id: ids[0], patternId: "PatId2", actionType: "CHILD", merchant: "M1" });
  });

  it("resumes after Last-Event-ID with exactly what the client missed", async () => {
    const first = await stream();
    await commitDetections(bed.rt, 4, 200);
    await first.waitForEvents(4);
    const lastSeen = first.events[1].id!;
    await first.close();
    await commitDetections(bed.rt, 3, 300);
    const resumed = await stream("", { "Last-Event-ID": lastSeen });
    await resumed.waitForEvents(5);
    expect(customers(resumed)).toEqual(["C202", "C203", "C300", "C301", "C302"]);
  });

  it("applies the list's filters, and starts after the id given as `after`", async () => {
    const all = await stream();
    await commitDetections(bed.rt, 2, 400);
    await all.waitForEvents(2);
    const merchantOnly = await stream(`?merchant=M1&pattern=CHILD&after=${all.events[0].id}`);
    const none = await stream(`?merchant=M2&after=0`);
    await merchantOnly.waitForEvents(1);
    expect(customers(merchantOnly)).toEqual(["C401"]);
    await commitDetections(bed.rt, 1, 500);
    await merchantOnly.waitForEvents(2);
    expect(none.events).toEqual([]);
  });

  it("refuses a bad filter or Last-Event-ID with a 400 that says what is wrong", async () => {
    const badId = await stream("", { "Last-Event-ID": "abc" });
    expect(badId.status).toBe(400);
    expect(JSON.parse(badId.refusal)).toEqual({ error: { type: "INVALID_QUERY", message: 'Last-Event-ID must be a detection id; got "abc"' } });
    const badParam = await stream("?limit=5");
    expect(badParam.status).toBe(400);
    expect(badParam.refusal).toContain('unknown parameter \\"limit\\"');
  });
});
