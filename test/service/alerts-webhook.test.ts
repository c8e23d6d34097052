import { loadConfig } from "../../src/config";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { parsePrometheusText, sampleValue } from "../support/prometheus-text";
import { commitDetections, eventually, startServices, type ServiceTestBed } from "../support/service-broker";
import { WebhookReceiver } from "../support/webhook-receiver";

const SECRET = "webhook-secret-for-tests-0123456789";

let bed: ServiceTestBed | undefined;
let receiver: WebhookReceiver;

afterEach(async () => {
  await bed?.stop();
  bed = undefined;
  await receiver?.down();
});

function alertSettings(url: string, extra: Record<string, string> = {}) {
  return loadConfig(
    { ALERT_WEBHOOKS: `ops=${url}`, ALERT_WEBHOOK_SECRET: SECRET, ALERT_RETRY_BASE_MS: "50", ALERT_RETRY_MAX_MS: "400", ALERT_MAX_ATTEMPTS: "200", ...extra },
    [],
  ).alerts;
}

async function outboxIds(b: ServiceTestBed): Promise<string[]> {
  const rows = await selectRows<{ id: string }>(await b.rt.db(), `SELECT id FROM detection_outbox ORDER BY id`);
  return rows.map((r) => String(r.id));
}

async function deliveries(b: ServiceTestBed): Promise<Array<{ status: string; attempts: number; lastError: string | null }>> {
  return selectRows(await b.rt.db(), `SELECT status, attempts, last_error AS "lastError" FROM alert_deliveries ORDER BY id`);
}

describe("alerts to a webhook", () => {
  it("delivers every detection, signed, through failures, an outage and a restart; none twice", async () => {
    receiver = new WebhookReceiver(await freePort(), SECRET);
    await receiver.up();
    let served = 0;
    receiver.answer = () => (++served <= 30 ? 500 : 200); // the first 30 attempts fail
    const alerts = alertSettings(receiver.url);
    bed = await startServices(["alerts"], { alerts });
    const databaseUrl = bed.rt.config.databaseUrl;

    await commitDetections(bed.rt, 40);
    void bed.broker.emit("detections.committed", { seq: 1, count: 40 });
    await eventually(
      async () => receiver.requests.length,
      (n) => n >= 30,
    );
    // The receiver goes down and the alerts service restarts while deliveries are still pending.
    await receiver.down();
    await bed.stop();
    bed = await startServices(["alerts"], { alerts, databaseUrl });
    await commitDetections(bed.rt, 20, 40);
    const refused = await eventually(
      () => deliveries(bed!),
      (rows) => rows.length === 60 && rows.some((r) => r.lastError?.includes("ECONNREFUSED") === true),
    );
    expect(refused.some((r) => r.status === "pending")).toBe(true);
    expect(refused.filter((r) => r.status === "pending").every((r) => r.attempts >= 1 || r.lastError === null)).toBe(true);

    await receiver.up();
    const ids = await outboxIds(bed);
    await eventually(
      async () => receiver.accepted.size,
      (n) => n === 60,
      30_000,
    );
    expect([...receiver.accepted.keys()].sort()).toEqual([...ids].sort());
    expect(receiver.requests.every((r) => r.signed && r.keyMatchesBody)).toBe(true);
    // Retries repeat one detection id; a detection accepted once is never sent again.
    const acceptedPerKey = new Map<string, number>();
    for (const r of receiver.requests.filter((r) => r.answered === 200)) acceptedPerKey.set(r.key, (acceptedPerKey.get(r.key) ?? 0) + 1);
    expect([...acceptedPerKey.values()].every((n) => n === 1)).toBe(true);
    expect(receiver.requests.filter((r) => r.answered === 500)).toHaveLength(30);
    const final = await eventually(
      () => deliveries(bed!),
      (rows) => rows.every((r) => r.status === "delivered"),
    );
    expect(final).toHaveLength(60);
    const sample = receiver.accepted.get(ids[0])!;
    expect(Object.keys(sample).sort()).toEqual(
      ["id", "patternId", "actionType", "customer", "merchant", "chunk", "amount", "line", "yStartTime", "detectionTime", "explanation"].sort(),
    );
    // The figures that made it fire travel with it (commitDetections: C<i> has n = 80 + i).
    const i = Number((sample.customer as string).slice(1));
    expect(sample).toMatchObject({
      patternId: "PatId2",
      actionType: "CHILD",
      merchant: "M1",
      amount: null,
      line: null,
      explanation: { n: 80 + i, avg: "22.500000" },
    });
  });

  it("dead-letters after the last attempt; GET /api/alerts/failed lists it and POST /api/alerts/:id/redeliver sends it again", async () => {
    receiver = new WebhookReceiver(await freePort(), SECRET);
    await receiver.up();
    receiver.answer = () => 503;
    const apiPort = await freePort();
    const keys = loadConfig({ API_KEYS: "ops:admin:admin-secret-0123456789,dash:read:read-secret-0123456789" }, []).apiKeys;
    bed = await startServices(["alerts", "api"], {
      apiPort,
      apiKeys: keys,
      alerts: alertSettings(receiver.url, { ALERT_MAX_ATTEMPTS: "3", ALERT_RETRY_BASE_MS: "20" }),
    });
    const api = (path: string, init: RequestInit & { secret?: string } = {}) =>
      fetch(`http://127.0.0.1:${apiPort}/api/${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${init.secret ?? "read-secret-0123456789"}`, "Content-Type": "application/json" },
      });

    await commitDetections(bed.rt, 2);
    const failed = await eventually(
      async () =>
        (
          (await (await api("alerts/failed")).json()) as {
            items: Array<{ id: number; attempts: number; lastError: string; detectionId: number; summary: string }>;
          }
        ).items,
      (items) => items.length === 2,
    );
    expect(receiver.requests).toHaveLength(6);
    expect(failed.every((f) => f.attempts === 3 && f.lastError === "webhook ops: HTTP 503 try again")).toBe(true);
    expect(failed[0].summary).toMatch(/^PatId2 CHILD customer C[01] at merchant M1$/);

    receiver.answer = () => 200;
    const target = failed[0];
    expect((await api(`alerts/${target.id}/redeliver`, { method: "POST", body: "{}" })).status).toBe(403); // a read key
    const redelivered = await api(`alerts/${target.id}/redeliver`, { method: "POST", body: "{}", secret: "admin-secret-0123456789" });
    expect(redelivered.status).toBe(200);
    expect(await redelivered.json()).toEqual({ id: target.id, status: "pending", attempts: 0 });
    await eventually(
      async () => receiver.accepted.size,
      (n) => n === 1,
    );
    expect([...receiver.accepted.keys()]).toEqual([String(target.detectionId)]);
    const remaining = ((await (await api("alerts/failed")).json()) as { items: Array<{ id: number }> }).items;
    expect(remaining.map((f) => f.id)).toEqual([failed[1].id]);
    await eventually(
      () => deliveries(bed!),
      (rows) => rows.filter((r) => r.status === "delivered").length === 1,
    );
    const again = await api(`alerts/${target.id}/redeliver`, { method: "POST", body: "{}", secret: "admin-secret-0123456789" });
    expect(again.status).toBe(400);
    expect((await api(`alerts/999999/redeliver`, { method: "POST", body: "{}", secret: "admin-secret-0123456789" })).status).toBe(404);

    // The metrics count the six failed attempts and the one delivery, and the dead letter left.
    const scraped = await fetch(`http://127.0.0.1:${apiPort}/metrics`, { headers: { Authorization: "Bearer read-secret-0123456789" } });
    const metrics = parsePrometheusText(await scraped.text());
    const attempts = (outcome: string) => sampleValue(metrics, "tm_alert_deliveries_total", "tm_alert_deliveries_total", { channel: "ops", outcome });
    expect([attempts("failed"), attempts("delivered")]).toEqual([6, 1]);
    expect(sampleValue(metrics, "tm_alert_deliveries_waiting", "tm_alert_deliveries_waiting", { channel: "ops", status: "failed" })).toBe(1);
  });
});
