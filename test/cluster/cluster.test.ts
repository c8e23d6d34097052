import { DETECTION_PREFIX } from "../../src/storage/object-store";
import { expectExactAggregates, expectExactResult, expectExactStats, scaledCase } from "../support/expectations";
import { freshBucket, freshDatabase } from "../support/infra";
import { freePort, pipelineEnv, query, startProgram, waitFor, type RunningProcess } from "../support/pipeline";
import { parsePrometheusText } from "../support/prometheus-text";

const natsUrl = process.env.TEST_NATS_URL;
const describeWithNats = natsUrl ? describe : describe.skip;
if (!natsUrl) console.warn("cluster test skipped: set NATS_URL or install nats-server (Debian package nats-server)");

describeWithNats("a cluster of real processes over NATS", () => {
  const running = new Map<string, RunningProcess>();
  afterAll(async () => {
    for (const p of running.values()) p.child.kill("SIGKILL");
  });

  it("survives kill -9 of merchant-state (merchants' and customers' state), ingest and s3-sink mid-stream and ends exactly at SPEC.md", async () => {
    const { files, blacklist, reference } = await scaledCase(40_000, 11, 0.005);
    expect(new Set(reference.detections.map((d) => d.patternId)).size).toBe(6);
    const [databaseUrl, s3, apiPort] = await Promise.all([freshDatabase(), freshBucket(), freePort()]);
    const env = pipelineEnv(databaseUrl, s3, {
      ...blacklist.env,
      TRANSPORTER: natsUrl!,
      CLUSTER_SECRET: "cluster-test-secret-0123456789",
      CHUNK_INTERVAL_MS: "500",
      PARTITIONS: "16",
      CHECKPOINT_EVERY_CHUNKS: "4",
      API_PORT: String(apiPort),
      API_KEYS: "ops:admin:cluster-test-admin-key-0123",
      LOG_LEVEL: "warn",
    });
    const start = (name: string, services: string, args: string[] = [], extra: Record<string, string> = {}) =>
      running.set(name, startProgram("start", ["--services", services, ...args], { ...env, NODE_ID: name, ...extra }));
    const kill = async (name: string) => {
      const p = running.get(name)!;
      p.child.kill("SIGKILL");
      await p.exited;
      running.delete(name);
    };
    const applied = async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status <> 'pending'`))[0].n;

    start("detector", "detector");
    for (const n of ["ms-1", "ms-2", "ms-3"]) start(n, "merchant-state");
    for (const n of ["cs-1", "cs-2"]) start(n, "customer-state");
    start("db-sink", "db-sink");
    start("s3-sink", "s3-sink", [], { FAULT_S3_SINK_PAUSE_AFTER_WRITE_MS: "3000" });
    start("api", "api");
    start("alerts", "alerts");
    start("ingest-1", "ingest", ["--importance", files.importance]);
    start("chunker", "chunker", ["--source", files.transactions]);

    // s3-sink dies right after writing its first object, before recording it
    await waitFor("the first detections file", async () => (await s3.store.listKeys(DETECTION_PREFIX)).length > 0, 90_000);
    await kill("s3-sink");
    const [firstKey] = await s3.store.listKeys(DETECTION_PREFIX);
    const firstBytes = await s3.store.readText(firstKey);
    expect(await query(databaseUrl, `SELECT written_at FROM s3_batches WHERE object_key = $1`, [firstKey])).toEqual([{ written_at: null }]);
    start("s3-sink-2", "s3-sink");

    await waitFor("4 chunks applied", async () => (await applied()) >= 4, 90_000);
    await kill("ms-2");
    // Noticed through its database session, not only after the heartbeat timeout.
    const notice = "Node 'ms-2' lost its database session";
    await waitFor(
      "the others to notice ms-2 is gone",
      async () => ["ms-1", "ms-3", "ingest-1"].every((n) => running.get(n)!.output().includes(notice)),
      30_000,
    );
    await waitFor("6 chunks applied", async () => (await applied()) >= 6, 90_000);
    // The customers' histories that ANOMALY reads move like the merchants' aggregates.
    await kill("cs-2");
    await waitFor("8 chunks applied", async () => (await applied()) >= 8, 90_000);
    start("ms-4", "merchant-state");
    await waitFor("10 chunks applied", async () => (await applied()) >= 10, 90_000);
    await kill("ingest-1");
    start("ingest-2", "ingest", ["--importance", files.importance]);

    await waitFor("every chunk applied", async () => (await applied()) === reference.chunks, 120_000);
    // Each lost state node is one pipeline alert, saying where its partitions went.
    const lost = await query<{ subject: string; message: string }>(
      databaseUrl,
      `SELECT subject, message FROM alert_events WHERE kind = 'node-lost' ORDER BY occurred_at`,
    );
    expect(lost.map((e) => e.subject.split("/")[0])).toEqual(["ms-2", "cs-2"]);
    expect(lost[0].message).toMatch(/^merchant-state node ms-2 was lost; its partitions moved to ms-[13], ms-[13]$/);
    expect(lost[1].message).toBe("customer-state node cs-2 was lost; its partitions moved to cs-1");
    const owners = await query<{ owner: string }>(databaseUrl, `SELECT DISTINCT owner FROM partition_state ORDER BY owner`);
    expect(owners.map((o) => o.owner)).toEqual(expect.arrayContaining(["ms-4"]));
    expect(owners.map((o) => o.owner)).not.toContain("ms-2");
    expect(owners.map((o) => o.owner)).not.toContain("cs-2");

    // /metrics gathers every live node's figures, each labelled with its node.
    const scraped = await fetch(`http://127.0.0.1:${apiPort}/metrics`, { headers: { Authorization: "Bearer cluster-test-admin-key-0123" } });
    const metrics = parsePrometheusText(await scraped.text());
    const merchantPartitions = metrics.get("tm_partitions_assigned")!.samples.filter((s) => s.labels.service === "merchant-state");
    expect(merchantPartitions.map((s) => s.labels.node).sort()).toEqual(["ms-1", "ms-3", "ms-4"]);
    expect(merchantPartitions.reduce((sum, s) => sum + s.value, 0)).toBe(16);
    const appliedBy = new Set(metrics.get("tm_chunk_apply_seconds")!.samples.map((s) => s.labels.node));
    expect([...appliedBy].sort()).toEqual(["cs-1", "ms-1", "ms-3", "ms-4"]);
    expect(metrics.get("tm_chunks_applied_total")!.samples.map((s) => s.labels.node)).toEqual(["ingest-2"]);

    const api = `http://127.0.0.1:${apiPort}/api`;
    const flushed = await fetch(`${api}/detections/flush`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer cluster-test-admin-key-0123" },
    });
    expect(flushed.ok).toBe(true);
    await waitFor("db-sink to catch up", async () => {
      const [{ pending }] = await query<{ pending: number }>(databaseUrl, `SELECT count(*)::int AS pending FROM detection_outbox WHERE NOT db_done`);
      return pending === 0;
    });
    await expectExactResult(databaseUrl, s3, reference);
    await expectExactStats(databaseUrl, reference);
    expect(await s3.store.readText(firstKey)).toBe(firstBytes);

    // Stopping cleanly checkpoints every partition: the persisted aggregates must be
    // exactly one application of every chunk, so no chunk was applied twice or skipped, with sums exact to the last decimal.
    // All four at once: a node may take over a partition from one still checkpointing it, and both checkpoint it.
    const names = ["ms-1", "ms-3", "ms-4", "cs-1"];
    const before = new Map(names.map((name) => [name, running.get(name)!.output().length]));
    for (const name of names) running.get(name)!.child.kill("SIGTERM");
    for (const name of names) expect(await running.get(name)!.exited).toBe(0);
    const stopOutput = names.map((name) => `${name}: ${running.get(name)!.output().slice(before.get(name))}`);
    const fences = await query<{ applied: number; checkpoint: number }>(
      databaseUrl,
      `SELECT DISTINCT applied_seq::int AS applied, checkpoint_seq::int AS checkpoint FROM partition_state`,
    );
    expect({ fences, stopOutput: fences.length === 1 ? [] : stopOutput }).toEqual({
      fences: [{ applied: reference.chunks, checkpoint: reference.chunks }],
      stopOutput: [],
    });
    await expectExactAggregates(databaseUrl, reference);
  });
});
