import { parseApiKeys } from "../../src/api/api-keys";
import { chunkKey } from "../../src/chunker/chunker";
import { ALL_METRICS } from "../../src/metrics/catalogue";
import { selectRows } from "../../src/storage/sql";
import { freePort } from "../support/pipeline";
import { parsePrometheusText, sampleValue, type ParsedFamily } from "../support/prometheus-text";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

const PARTITIONS = 4;
let bed: ServiceTestBed;
let base: string;

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["detector", "merchant-state", "customer-state", "ingest", "db-sink", "api"], {
    apiPort,
    partitions: PARTITIONS,
    pollIntervalMs: 60_000,
  });
  base = `http://127.0.0.1:${apiPort}`;
});

afterAll(async () => {
  await bed?.stop();
});

async function scrape(): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await res.text());
}

/** Lands a chunk of `lines` and waits until ingest has applied `applied` chunks and db-sink moved every detection. */
async function landChunk(index: number, lines: string[], applied: number): Promise<void> {
  const key = chunkKey("metrics-test", index);
  await bed.s3.store.write(key, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
  void bed.broker.emit("chunk.landed", { key, rows: lines.length });
  await eventually(
    () => bed.broker.call<{ applied: number }>("ingest.status"),
    (s) => s.applied === applied,
  );
  await eventually(
    async () => (await selectRows<{ n: number }>(await bed.rt.db(), `SELECT count(*)::int AS n FROM detection_outbox WHERE NOT db_done`))[0].n,
    (n) => n === 0,
  );
}

const node = () => bed.broker.nodeID;

describe("GET /metrics", () => {
  it("is Prometheus text with every metric, and its counters move when a chunk is applied", async () => {
    const before = await scrape();
    expect([...before.keys()]).toEqual(ALL_METRICS.map((m) => m.name));
    expect(sampleValue(before, "tm_chunks_applied_total", "tm_chunks_applied_total", { node: node() })).toBe(0);
    expect(sampleValue(before, "tm_partitions_assigned", "tm_partitions_assigned", { node: node(), service: "merchant-state" })).toBe(PARTITIONS);
    expect(sampleValue(before, "tm_partitions_assigned", "tm_partitions_assigned", { node: node(), service: "customer-state" })).toBe(PARTITIONS);

    // 80 purchases of C1 at M1 make a CHILD detection; one row is malformed and quarantined.
    await landChunk(0, [...Array.from({ length: 80 }, () => transactionLine("C1", "M1", "10.00")), transactionLine("C2", "M1", "oops")], 1);
    const after = await scrape();
    const value = (name: string, labels: Record<string, string> = {}, family = name) => sampleValue(after, family, name, labels);
    expect(value("tm_chunks_applied_total", { node: node() })).toBe(1);
    expect(value("tm_rows_applied_total", { node: node() })).toBe(80);
    expect(value("tm_rows_quarantined_total", { node: node() })).toBe(1);
    expect(value("tm_chunk_apply_seconds_count", { node: node(), service: "merchant-state" }, "tm_chunk_apply_seconds")).toBe(1);
    expect(value("tm_chunk_apply_seconds_count", { node: node(), service: "customer-state" }, "tm_chunk_apply_seconds")).toBe(1);
    expect(value("tm_chunk_apply_seconds_sum", { node: node(), service: "merchant-state" }, "tm_chunk_apply_seconds")).toBeGreaterThan(0);
    expect(value("tm_chunk_lag")).toBe(0);
    expect(value("tm_sink_backlog", { sink: "db-sink" })).toBe(0);
    // No S3 sink runs here: its backlog is every detection.
    expect(value("tm_sink_backlog", { sink: "s3-sink" })).toBe(1);

    const inTable = await selectRows<{ pattern: string; n: number }>(
      await bed.rt.db(),
      `SELECT patternid AS pattern, count(*)::int AS n FROM pattern_detections GROUP BY patternid`,
    );
    expect(inTable).toEqual([{ pattern: "PatId2", n: 1 }]);
    const perPattern: Record<string, number> = {};
    for (const s of after.get("tm_detections_total")!.samples) perPattern[s.labels.pattern] = (perPattern[s.labels.pattern] ?? 0) + s.value;
    expect(perPattern).toEqual(Object.fromEntries(inTable.map((r) => [r.pattern, r.n])));

    await landChunk(
      1,
      Array.from({ length: 20 }, () => transactionLine("C3", "M2", "5.00")),
      2,
    );
    const later = await scrape();
    expect(sampleValue(later, "tm_chunks_applied_total", "tm_chunks_applied_total", { node: node() })).toBe(2);
    expect(sampleValue(later, "tm_rows_applied_total", "tm_rows_applied_total", { node: node() })).toBe(100);
    expect(sampleValue(later, "tm_chunk_apply_seconds", "tm_chunk_apply_seconds_count", { node: node(), service: "merchant-state" })).toBe(2);
  });

  it("counts a chunk landed but not yet applied as lag", async () => {
    const ds = await bed.rt.db();
    await ds.query(`INSERT INTO chunks (seq, key, status) VALUES (1000, 'transaction-chunks/never-written.csv', 'pending')`);
    try {
      expect(sampleValue(await scrape(), "tm_chunk_lag", "tm_chunk_lag")).toBe(1);
    } finally {
      await ds.query(`DELETE FROM chunks WHERE seq = 1000`);
    }
  });
});

describe("GET /metrics with API_KEYS", () => {
  const READ_SECRET = "read-secret-0123456789";
  let keyed: ServiceTestBed;
  let keyedBase: string;

  beforeAll(async () => {
    const apiPort = await freePort();
    keyed = await startServices(["api"], { apiPort, apiKeys: parseApiKeys(`prometheus:read:${READ_SECRET}`) });
    keyedBase = `http://127.0.0.1:${apiPort}`;
  });

  afterAll(async () => {
    await keyed?.stop();
  });

  it("refuses a scrape without a key (401) and serves one with a read key", async () => {
    const refused = await fetch(`${keyedBase}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe("Bearer");
    const wrong = await fetch(`${keyedBase}/metrics`, { headers: { authorization: "Bearer not-the-secret-at-all" } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${keyedBase}/metrics`, { headers: { authorization: `Bearer ${READ_SECRET}` } });
    expect(ok.status).toBe(200);
    expect([...parsePrometheusText(await ok.text()).keys()]).toContain("tm_chunk_lag");
  });
});
