import { parseApiKeys } from "../../src/api/api-keys";
import { freePort } from "../support/pipeline";
import { restartDetector, startServices, type ServiceTestBed } from "../support/service-broker";

const ADMIN = "admin-secret-0123456789";
const READER = "reader-secret-0123456789";

let bed: ServiceTestBed;
let base: string;

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["detector", "api"], { apiPort, apiKeys: parseApiKeys(`ops:admin:${ADMIN},analyst:read:${READER}`) });
  base = `http://127.0.0.1:${apiPort}/api`;
});

afterAll(async () => {
  await bed?.stop();
});

async function request(method: string, path: string, secret: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/${path}`, {
    method,
    headers: { authorization: `Bearer ${secret}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("the configuration API", () => {
  it("shows every threshold and every rule's switch", async () => {
    const { status, body } = await request("GET", "config", READER);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      version: 1,
      fromSeq: 1,
      thresholds: { childMinTxns: 80, childMaxAvgAmount: "23", highValueMinAmount: "5000", anomalyMinHistory: 20, anomalyZ: "4" },
      disabledPatterns: [],
      blacklistEntries: 0,
    });
    expect((body.rules as Array<{ patternId: string; enabled: boolean }>).map((r) => `${r.patternId}:${r.enabled}`)).toEqual([
      "PatId1:true",
      "PatId2:true",
      "PatId3:true",
      "PatId4:true",
      "PatId5:true",
      "PatId6:true",
    ]);
  });

  it("changes thresholds and switches with an admin key only, from the chunk after the last one committed, and says why a change is refused", async () => {
    await (await bed.rt.db()).query(`UPDATE partition_state SET applied_seq = 4`);
    expect((await request("PUT", "config", READER, { childMinTxns: 60 })).status).toBe(403);
    const changed = await request("PUT", "config", ADMIN, { childMinTxns: 60, highValueMinAmount: 1000.5, disabledPatterns: ["PatId6"] });
    expect(changed).toMatchObject({
      status: 200,
      body: { version: 2, fromSeq: 5, recordedBy: "api key ops", thresholds: { childMinTxns: 60, highValueMinAmount: "1000.5" }, disabledPatterns: ["PatId6"] },
    });
    expect(await request("PUT", "config", ADMIN, { childMinTxns: 60 })).toMatchObject({ status: 200, body: { version: 2 } }); // nothing changes
    expect(await request("PUT", "config", ADMIN, { childMinTxn: 1 })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining('unknown setting "childMinTxn"') as string } },
    });
    expect(await request("PUT", "config", ADMIN, { anomalyZ: "-1" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("anomalyZ") as string } },
    });
    expect(await request("PUT", "config", ADMIN, { disabledPatterns: ["PatId9"] })).toMatchObject({ status: 400 });
    expect((await request("GET", "config", READER)).body).toMatchObject({ version: 2 });
  });

  it("manages the blacklist entry by entry", async () => {
    expect((await request("POST", "blacklist", READER, { id: "C1" })).status).toBe(403);
    expect(await request("POST", "blacklist", ADMIN, { id: "C1", reason: "card reported stolen" })).toMatchObject({
      status: 200,
      body: { blacklistEntries: 1 },
    });
    expect(
      await request("POST", "blacklist", ADMIN, {
        entries: [
          { id: "M9", reason: "shell merchant" },
          { id: "C1", reason: "confirmed fraud" },
        ],
      }),
    ).toMatchObject({
      body: { blacklistEntries: 2 },
    });
    const listed = await fetch(`${base}/blacklist`, { headers: { authorization: `Bearer ${READER}` } });
    expect(await listed.json()).toEqual([
      { id: "M9", reason: "shell merchant" },
      { id: "C1", reason: "confirmed fraud" },
    ]);
    expect(await request("DELETE", "blacklist/M9", ADMIN)).toMatchObject({ status: 200, body: { blacklistEntries: 1 } });
    expect(await request("DELETE", "blacklist/M9", ADMIN)).toMatchObject({ status: 400, body: { error: { message: '"M9" is not on the blacklist' } } });
    expect(await request("POST", "blacklist", ADMIN, { id: "" })).toMatchObject({ status: 400, body: { error: { message: "blacklist entry 1: empty id" } } });
    expect(await request("POST", "blacklist", ADMIN, { id: "C2", reason: "x".repeat(501) })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("reason must be at most 500 characters") as string } },
    });
  });

  it("keeps the history of changes: who, when, from which chunk, old and new values", async () => {
    const res = await fetch(`${base}/config/history`, { headers: { authorization: `Bearer ${READER}` } });
    const history = (await res.json()) as Array<{ version: number; fromSeq: number; recordedBy: string; recordedAt: string; changes: unknown[] }>;
    expect(history.map((v) => [v.version, v.recordedBy])).toEqual([
      [5, "api key ops"],
      [4, "api key ops"],
      [3, "api key ops"],
      [2, "api key ops"],
      [1, "startup on " + bed.broker.nodeID],
    ]);
    expect(history[0].changes).toEqual([{ setting: "blacklist", added: [], removed: [{ id: "M9", reason: "shell merchant" }] }]);
    expect(history[1].changes).toEqual([
      {
        setting: "blacklist",
        added: [
          { id: "M9", reason: "shell merchant" },
          { id: "C1", reason: "confirmed fraud" },
        ],
        removed: [{ id: "C1", reason: "card reported stolen" }],
      },
    ]);
    expect(history[2].changes).toEqual([{ setting: "blacklist", added: [{ id: "C1", reason: "card reported stolen" }], removed: [] }]);
    expect(history[3].changes).toEqual([
      { setting: "childMinTxns", from: 80, to: 60 },
      { setting: "highValueMinAmount", from: "5000", to: "1000.5" },
      { setting: "disabledPatterns", from: [], to: ["PatId6"] },
    ]);
    expect(history[3].fromSeq).toBe(5);
    expect(Date.parse(history[0].recordedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("keeps those changes across a restart with the same settings; a setting changed at start is applied on top of them", async () => {
    await restartDetector(bed.rt.config);
    expect((await request("GET", "config", READER)).body).toMatchObject({ version: 5, thresholds: { childMinTxns: 60 } });
    await restartDetector({ ...bed.rt.config, thresholds: { ...bed.rt.config.thresholds, anomalyMinHistory: 30 } });
    expect((await request("GET", "config", READER)).body).toMatchObject({
      version: 6,
      recordedBy: "startup on detector-2",
      thresholds: { childMinTxns: 60, anomalyMinHistory: 30, highValueMinAmount: "1000.5" },
      disabledPatterns: ["PatId6"],
      blacklistEntries: 1,
    });
    // A change made after that start survives the next start with the same settings, however many starts follow.
    expect(await request("PUT", "config", ADMIN, { childMinTxns: 55 })).toMatchObject({ body: { version: 7 } });
    for (let i = 0; i < 2; i++) await restartDetector({ ...bed.rt.config, thresholds: { ...bed.rt.config.thresholds, anomalyMinHistory: 30 } });
    expect((await request("GET", "config", READER)).body).toMatchObject({
      version: 7,
      thresholds: { childMinTxns: 55, anomalyMinHistory: 30 },
      blacklistEntries: 1,
    });
  });
});

describe("without API keys", () => {
  it("nobody changes the configuration, or anything else, over HTTP", async () => {
    const apiPort = await freePort();
    const open = await startServices(["detector", "api"], { apiPort });
    try {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/config`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: '{"childMinTxns":1}',
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: { type: "FORBIDDEN", message: expect.stringContaining("needs an admin API key") as string } });
      expect((await fetch(`http://127.0.0.1:${apiPort}/api/config`)).status).toBe(200);
      const flush = await fetch(`http://127.0.0.1:${apiPort}/api/detections/flush`, { method: "POST", headers: { "content-type": "application/json" } });
      expect(flush.status).toBe(403);
    } finally {
      await open.stop();
    }
  });
});
