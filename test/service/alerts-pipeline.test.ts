import { loadConfig } from "../../src/config";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { commitDetections, eventually, startServices, type ServiceTestBed } from "../support/service-broker";
import { WebhookReceiver } from "../support/webhook-receiver";

const SECRET = "webhook-secret-for-tests-0123456789";

let bed: ServiceTestBed;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = new WebhookReceiver(await freePort(), SECRET);
  await receiver.up();
  // Only pipeline problems go to this hook; detections are routed nowhere.
  const alerts = loadConfig({ ALERT_WEBHOOKS: `ops=${receiver.url}`, ALERT_WEBHOOK_SECRET: SECRET, ALERT_ROUTES: "pipeline=ops" }, []).alerts;
  bed = await startServices(["alerts"], { alerts });
});

afterAll(async () => {
  await bed?.stop();
  await receiver.down();
});

describe("pipeline alerts", () => {
  it("a chunk that ingest marks failed alerts once, through the same channels", async () => {
    const ds = await bed.rt.db();
    await commitDetections(bed.rt, 5);
    // What ingest records for an object that is not a transactions CSV.
    await ds.query(`INSERT INTO chunks (seq, key, status, finished_at, rows_valid, rows_bad, error)
                    VALUES (7, 'transaction-chunks/t/chunk-7.csv', 'failed', now(), 0, 0, 'not a transactions CSV: no header with step, customer, amount')`);
    void bed.broker.emit("chunk.processed", { seq: 7, key: "transaction-chunks/t/chunk-7.csv", status: "failed" });
    await eventually(
      async () => receiver.accepted.size,
      (n) => n === 1,
    );
    const [[key, body]] = [...receiver.accepted];
    expect(key).toMatch(/^event-\d+$/);
    expect(body).toMatchObject({
      id: key,
      type: "pipeline",
      kind: "chunk-failed",
      subject: "transaction-chunks/t/chunk-7.csv",
      message: "chunk transaction-chunks/t/chunk-7.csv (seq 7) failed: not a transactions CSV: no header with step, customer, amount",
    });
    expect(receiver.requests.every((r) => r.signed)).toBe(true);
    // The detections were seen and, routed nowhere, sent nowhere.
    const rows = await selectRows<{ pending: number; deliveries: number }>(
      ds,
      `SELECT (SELECT count(*) FROM detection_outbox WHERE NOT alerts_done)::int AS pending, (SELECT count(*) FROM alert_deliveries)::int AS deliveries`,
    );
    expect(rows[0]).toEqual({ pending: 0, deliveries: 1 });
  });

  it("a merchant-state node lost without a clean stop alerts once, however many alerts copies see it", async () => {
    const lost = { node: { id: "node-b", instanceID: "i-1", services: [{ name: "merchant-state" }] }, unexpected: true };
    await bed.broker.broadcastLocal("$node.disconnected", lost);
    await bed.broker.broadcastLocal("$node.disconnected", lost);
    // A clean stop, or a node without merchant-state, is no alert.
    await bed.broker.broadcastLocal("$node.disconnected", { ...lost, node: { ...lost.node, instanceID: "i-2" }, unexpected: false });
    await bed.broker.broadcastLocal("$node.disconnected", { node: { id: "api-1", instanceID: "i-3", services: [{ name: "api" }] }, unexpected: true });
    const lostAlerts = await eventually(
      async () => [...receiver.accepted.values()].filter((b) => b.kind === "node-lost"),
      (list) => list.length === 1,
    );
    expect(lostAlerts[0]).toMatchObject({ subject: "node-b/i-1", message: "merchant-state node node-b was lost; its partitions moved to no node (none left)" });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...receiver.accepted.values()].filter((b) => b.kind === "node-lost")).toHaveLength(1);
  });

  it("a chunk with more quarantined rows than ALERT_QUARANTINE_RATE alerts once; one under it does not", async () => {
    const ds = await bed.rt.db();
    await ds.query(`INSERT INTO chunks (seq, key, status, finished_at, rows_valid, rows_bad)
                    VALUES (8, 'transaction-chunks/t/chunk-8.csv', 'applied', now(), 90, 10), (9, 'transaction-chunks/t/chunk-9.csv', 'applied', now(), 96, 4)`);
    const rate = await eventually(
      async () => [...receiver.accepted.values()].filter((b) => b.kind === "quarantine-rate"),
      (list) => list.length === 1,
    );
    expect(rate[0]).toMatchObject({
      subject: "transaction-chunks/t/chunk-8.csv",
      message: "chunk transaction-chunks/t/chunk-8.csv (seq 8): 10 of 100 rows quarantined, over the limit of 5.00 %",
    });
  });

  it("a sink that has not taken a committed detection for ALERT_SINK_STUCK_MS alerts once", async () => {
    const ds = await bed.rt.db();
    // No db-sink runs here: the detections committed earlier wait; make the oldest one 10 minutes old.
    const [{ id }] = await selectRows<{ id: string }>(ds, `SELECT min(id)::text AS id FROM detection_outbox WHERE NOT db_done`);
    await ds.query(`UPDATE detection_outbox SET detectiontime = now() - interval '10 minutes' WHERE id = $1`, [id]);
    const stuck = await eventually(
      async () => [...receiver.accepted.values()].filter((b) => b.kind === "sink-stuck"),
      (list) => list.length >= 1,
    );
    expect(stuck).toEqual([
      expect.objectContaining({ subject: `db-sink/${id}`, message: expect.stringContaining(`db-sink has not taken detection ${id}`) as string }),
    ]);
  });
});
