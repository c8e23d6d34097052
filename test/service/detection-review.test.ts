import { parseApiKeys } from "../../src/api/api-keys";
import { moveToPatternDetections } from "../../src/storage/outbox";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { commitDetections, startServices, type ServiceTestBed } from "../support/service-broker";

const ADMIN = "admin-secret-0123456789";
const REVIEWER = "review-secret-0123456789";
const READER = "reader-secret-0123456789";

let bed: ServiceTestBed;
let base: string;
let ids: number[];

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["api"], { apiPort, apiKeys: parseApiKeys(`ops:admin:${ADMIN},alice:review:${REVIEWER},dash:read:${READER}`) });
  base = `http://127.0.0.1:${apiPort}/api`;
  await commitDetections(bed.rt, 4); // CHILD for C0..C3 at M1
  await moveToPatternDetections(await bed.rt.db(), 1000);
  const rows = await selectRows<{ id: number }>(await bed.rt.db(), `SELECT id FROM pattern_detections ORDER BY id`);
  ids = rows.map((r) => r.id);
});

afterAll(async () => {
  await bed?.stop();
});

interface Reviewed {
  id: number;
  customer: string;
  review: { status: string; assignee: string | null; notes: string | null; updatedAt: string | null; updatedBy: string | null };
  history?: Array<{ at: string; by: string; before: Record<string, unknown>; after: Record<string, unknown> }>;
}

async function request<T = Record<string, unknown>>(method: string, path: string, secret: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const review = (id: number, secret: string, change: unknown) =>
  request<Reviewed & { error?: { type: string; message: string } }>("PATCH", `detections/${id}`, secret, change);

describe("case review", () => {
  it("a detection never reviewed is new, in the list and on its own", async () => {
    const list = await request<{ items: Reviewed[] }>("GET", "detections", READER);
    expect(list.body.items).toHaveLength(4);
    for (const d of list.body.items) expect(d.review).toEqual({ status: "new", assignee: null, notes: null, updatedAt: null, updatedBy: null });
    const one = await request<Reviewed>("GET", `detections/${ids[0]}`, READER);
    expect(one.body).toMatchObject({ id: ids[0], customer: "C0", patternId: "PatId2", review: { status: "new" }, history: [] });
  });

  it("changes a review, keeps every change in the audit trail, and filters the list by status", async () => {
    const first = await review(ids[1], REVIEWER, { status: "reviewing", assignee: "alice" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: ids[1],
      customer: "C1",
      review: { status: "reviewing", assignee: "alice", notes: null, updatedBy: "api key alice" },
    });
    const second = await review(ids[1], ADMIN, { status: "confirmed", notes: "card used at two merchants within a minute" });
    expect(second.body.review).toMatchObject({
      status: "confirmed",
      assignee: "alice",
      notes: "card used at two merchants within a minute",
      updatedBy: "api key ops",
    });
    await review(ids[2], REVIEWER, { status: "dismissed", assignee: null });

    const { body } = await request<Reviewed>("GET", `detections/${ids[1]}`, READER);
    expect(body.history).toEqual([
      {
        at: expect.any(String) as string,
        by: "api key alice",
        before: { status: "new", assignee: null, notes: null },
        after: { status: "reviewing", assignee: "alice", notes: null },
      },
      {
        at: expect.any(String) as string,
        by: "api key ops",
        before: { status: "reviewing", assignee: "alice", notes: null },
        after: { status: "confirmed", assignee: "alice", notes: "card used at two merchants within a minute" },
      },
    ]);
    // A change that changes nothing is no change: no audit entry.
    await review(ids[1], REVIEWER, { status: "confirmed" });
    expect((await request<Reviewed>("GET", `detections/${ids[1]}`, READER)).body.history).toHaveLength(2);

    const byStatus = async (status: string) =>
      (await request<{ items: Reviewed[] }>("GET", `detections?status=${status}`, READER)).body.items.map((d) => d.customer);
    expect(await byStatus("confirmed")).toEqual(["C1"]);
    expect(await byStatus("dismissed")).toEqual(["C2"]);
    expect(await byStatus("reviewing")).toEqual([]);
    expect(await byStatus("new")).toEqual(["C3", "C0"]);
  });

  it("concurrent changes of one detection lose no audit entry", async () => {
    const notes = Array.from({ length: 20 }, (_, i) => `note ${i}`);
    const results = await Promise.all(notes.map((n) => review(ids[3], REVIEWER, { notes: n })));
    expect(results.map((r) => r.status)).toEqual(notes.map(() => 200));
    const { history, review: final } = (await request<Reviewed>("GET", `detections/${ids[3]}`, READER)).body;
    expect(history).toHaveLength(20);
    // Each change starts where the one before it ended, and the last is the review now.
    history!.slice(1).forEach((entry, i) => expect(entry.before).toEqual(history![i].after));
    expect(history![19].after.notes).toBe(final.notes);
    expect(history!.map((h) => h.after.notes).sort()).toEqual([...notes].sort());
  });

  it("a read key cannot review, a review key cannot administer, an admin key can do both", async () => {
    expect(await review(ids[0], READER, { status: "reviewing" })).toMatchObject({
      status: 403,
      body: { error: { type: "FORBIDDEN", message: 'API key "dash" has scope read; this request needs review' } },
    });
    expect(await request("PUT", "config", REVIEWER, { childMinTxns: 50 })).toMatchObject({
      status: 403,
      body: { error: { type: "FORBIDDEN", message: 'API key "alice" has scope review; this request needs admin' } },
    });
    expect((await request("POST", "detections/flush", REVIEWER, {})).status).toBe(403);
    expect((await review(ids[0], ADMIN, { assignee: "bob" })).body.review).toMatchObject({ assignee: "bob", updatedBy: "api key ops" });
  });

  it.each([
    [{}, "the request takes at least one of status, assignee, notes"],
    [{ status: "closed" }, "status must be one of new, reviewing, confirmed, dismissed"],
    [{ status: "confirmed", colour: "red" }, 'unknown property "colour"; use status, assignee, notes'],
    [{ notes: "x".repeat(2001) }, "notes must be at most 2000 characters"],
    [{ assignee: 42 }, "assignee must be a string or null; got 42"],
  ])("refuses %j with a 400: %s", async (change, message) => {
    const res = await review(ids[0], REVIEWER, change);
    expect(res.status).toBe(400);
    expect(res.body.error?.message).toContain(message);
  });

  it("404 for a detection that does not exist, 400 for an id that is not one", async () => {
    expect(await review(999_999, REVIEWER, { status: "confirmed" })).toMatchObject({
      status: 404,
      body: { error: { message: "detection 999999 does not exist" } },
    });
    expect((await request("GET", "detections/999999", READER)).status).toBe(404);
    expect(await request("GET", "detections/abc", READER)).toMatchObject({
      status: 400,
      body: { error: { message: 'id must be a detection id; got "abc"' } },
    });
    expect((await request("GET", "detections?status=closed", READER)).body).toEqual({
      error: { type: "INVALID_QUERY", message: 'status must be one of new, reviewing, confirmed, dismissed; got "closed"' },
    });
  });
});

describe("without API keys", () => {
  it("nobody reviews over HTTP", async () => {
    const apiPort = await freePort();
    const open = await startServices(["api"], { apiPort });
    try {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/detections/${ids[0]}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: '{"status":"confirmed"}',
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: { type: "FORBIDDEN", message: expect.stringContaining("changing state needs a review API key") as string } });
    } finally {
      await open.stop();
    }
  });
});
