import { readFileSync } from "node:fs";
import path from "node:path";
import { Context, ServiceBroker, type ServiceSchema } from "moleculer";
import { connect, type NatsConnection } from "nats";
import { natsConnection } from "../../moleculer.config";
import { SERVICE_FACTORIES } from "../../services";
import type { Runtime } from "../../src/app/runtime";
import { ALL_SERVICES } from "../../src/config";
import { generate } from "../../src/demo/generator";
import { sleep } from "../../src/retry";
import { DETECTION_PREFIX } from "../../src/storage/object-store";
import { expectExactResult, SCALED_ENV, SCALED_THRESHOLDS, TEST_CHUNK_ROWS } from "../support/expectations";
import { freshBucket, freshDatabase, tempDir } from "../support/infra";
import { NATS_SERVER, TestNatsServer } from "../support/nats-server";
import { freePort, pipelineEnv, query, startProgram, waitFor, type RunningProcess } from "../support/pipeline";
import { referenceDetections } from "../support/reference";
import { listeningOnPort, listeningSocketsOf } from "../support/sockets";

const ADMIN_KEY = "security-test-admin-key-0123";
const ADMIN_AUTH = { Authorization: `Bearer ${ADMIN_KEY}` };

const SECRET = "security-test-cluster-secret-42";
const FORGED_MERCHANT = "M_FORGED_BY_INTRUDER";
const describeWithNats = NATS_SERVER ? describe : describe.skip;
if (!NATS_SERVER) console.warn("security test skipped: install nats-server (Debian package nats-server)");

const running: RunningProcess[] = [];
const launch = (program: string, args: string[], env: Record<string, string>): RunningProcess => {
  const p = startProgram(program, args, env);
  running.push(p);
  return p;
};
/** What a test started outside child processes: stopped after the file, passed or failed. */
const teardown: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  running.forEach((p) => p.child.kill("SIGKILL"));
  for (const stop of teardown.splice(0).reverse()) await stop().catch(() => undefined);
});

/** Every action and event the services define, read from their schemas (mixins included). */
function serviceSurface(): { actions: string[]; events: string[] } {
  const stub = { config: { apiPort: 0, apiHost: "127.0.0.1", apiKeys: [] } } as unknown as Runtime;
  const actions: string[] = [];
  const events: string[] = [];
  const visit = (name: string, schema: Partial<ServiceSchema>): void => {
    for (const mixin of schema.mixins ?? []) visit(name, mixin);
    actions.push(...Object.keys(schema.actions ?? {}).map((a) => `${name}.${a}`));
    events.push(...Object.keys(schema.events ?? {}));
  };
  for (const service of ALL_SERVICES) visit(service, SERVICE_FACTORIES[service](stub));
  return { actions: [...new Set(actions)], events: [...new Set(events)] };
}

/** A request or event context addressed to a node the broker's registry does not know: what an attacker sends raw. */
function forgedContext(broker: ServiceBroker, nodeID: string, params: object): Context {
  const ctx = Context.create(broker);
  ctx.setParams(params);
  ctx.nodeID = nodeID;
  return ctx;
}

describeWithNats("cluster security and NATS outages", () => {
  it.each([
    ["a node", "start", { TRANSPORTER: "nats://127.0.0.1:4222", CLUSTER_SECRET: "" }, /^configuration error: CLUSTER_SECRET is required with TRANSPORTER/],
    ["the REPL", "repl", { TRANSPORTER: "nats://127.0.0.1:4222", CLUSTER_SECRET: "" }, /^configuration error: CLUSTER_SECRET is required with TRANSPORTER/],
    ["the REPL", "repl", { TRANSPORTER: "", CLUSTER_SECRET: "" }, /^configuration error: npm run repl joins a cluster: set TRANSPORTER and CLUSTER_SECRET/],
  ])("%s (npm run %s) with %j exits 2 with one line", async (_what, program, env, line) => {
    const node = launch(program, program === "start" ? ["--services", "detector"] : [], env);
    expect(await node.exited).toBe(2);
    expect(node.output().trim().split("\n")).toEqual([expect.stringMatching(line)]);
  });

  it("the one-process default opens no transport port: only the API and the embedded PostgreSQL and S3 listen, on loopback", async () => {
    const files = await generate({ rows: 4000, seed: 5, outDir: tempDir(), dirty: 0, customers: 60, merchants: 5 });
    const [apiPort, pgPort, s3Port] = [await freePort(), await freePort(), await freePort()];
    const env: Record<string, string> = {
      DATA_DIR: path.join(tempDir(), "data"),
      API_PORT: String(apiPort),
      EMBEDDED_PG_PORT: String(pgPort),
      EMBEDDED_S3_PORT: String(s3Port),
      LOG_LEVEL: "warn",
    };
    for (const name of [
      "DATABASE_URL",
      "S3_ENDPOINT",
      "S3_BUCKET",
      "AWS_ACCESS_KEY_ID",
      "AWS_SECRET_ACCESS_KEY",
      "TRANSPORTER",
      "CLUSTER_SECRET",
      "API_HOST",
      "API_KEYS",
    ])
      env[name] = "";
    const node = launch("start", ["--source", files.transactions, "--importance", files.importance], env);
    await waitFor("the API", async () => (await fetch(`http://127.0.0.1:${apiPort}/api/health`)).ok, 60_000, 250);
    const own = listeningSocketsOf(node.child.pid!).sort((a, b) => a.port - b.port);
    expect(own).toEqual(
      [
        { address: "127.0.0.1", port: apiPort },
        { address: "127.0.0.1", port: s3Port },
      ].sort((a, b) => a.port - b.port),
    );
    expect(listeningOnPort(pgPort).map((s) => s.address)).toEqual(["127.0.0.1"]);
    node.child.kill("SIGTERM");
    expect(await node.exited).toBe(0);
  });

  it("a token in TRANSPORTER authenticates with NATS and is never printed", async () => {
    const nats = new TestNatsServer(await freePort(), { token: "nats-test-token-7f3a" });
    await nats.start();
    teardown.push(() => nats.kill());
    const [databaseUrl, s3, apiPort] = await Promise.all([freshDatabase(), freshBucket(), freePort()]);
    const env = pipelineEnv(databaseUrl, s3, { TRANSPORTER: nats.url, CLUSTER_SECRET: SECRET, API_PORT: String(apiPort), LOG_LEVEL: "debug" });
    const nodes = [
      launch("start", ["--services", "detector"], { ...env, NODE_ID: "tok-detector" }),
      launch("start", ["--services", "api"], { ...env, NODE_ID: "tok-api" }),
    ];
    await waitFor(
      "the api node to see the detector node",
      async () => {
        const health = (await (await fetch(`http://127.0.0.1:${apiPort}/api/health`)).json()) as { services: Record<string, string[]> };
        return health.services.detector.includes("tok-detector");
      },
      30_000,
      250,
    );
    expect(nodes.map((n) => n.output()).join("")).not.toContain("nats-test-token-7f3a");
  });

  it("a foreign broker and a wrong-secret node on the same NATS change nothing and read nothing; a 3 s NATS outage costs seconds; the result is exact", async () => {
    const files = await generate({ rows: 60_000, seed: 23, outDir: tempDir(), dirty: 0.002, customers: 300, merchants: 12 });
    const source = readFileSync(files.transactions, "utf8");
    const reference = referenceDetections(source, readFileSync(files.importance, "utf8"), TEST_CHUNK_ROWS, SCALED_THRESHOLDS);
    const ids = new Set(source.match(/[CM]\d{4,}/g));
    const nats = new TestNatsServer(await freePort(), { user: "monitor", pass: "nats-test-password" });
    await nats.start();
    teardown.push(() => nats.kill());
    const [databaseUrl, s3, apiPort] = await Promise.all([freshDatabase(), freshBucket(), freePort()]);
    const env = pipelineEnv(databaseUrl, s3, {
      ...SCALED_ENV,
      TRANSPORTER: nats.url,
      CLUSTER_SECRET: SECRET,
      CHUNK_INTERVAL_MS: "400",
      PARTITIONS: "8",
      API_PORT: String(apiPort),
      API_KEYS: `ops:admin:${ADMIN_KEY}`,
    });
    const node = (name: string, services: string, args: string[] = [], extra: Record<string, string> = {}) =>
      launch("start", ["--services", services, ...args], { ...env, NODE_ID: name, ...extra });
    const api = `http://127.0.0.1:${apiPort}/api`;
    const applied = async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n;

    // (c) a wire tap with the NATS credentials but without the cluster secret
    const payloads: Buffer[] = [];
    const tap: NatsConnection = await connect({ ...natsConnection(nats.url), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    teardown.push(() => tap.close());
    tap.subscribe(">", { callback: (_err, msg) => payloads.push(Buffer.from(msg.data)) });

    const nodes = [
      node("core", "detector,db-sink,s3-sink,api"),
      node("ms-1", "merchant-state,customer-state"),
      node("ms-2", "merchant-state,customer-state"),
      node("ingest", "ingest", ["--importance", files.importance]),
    ];
    // Another secret, its own database and bucket: an outsider running this project's code.
    const [otherDb, otherS3] = await Promise.all([freshDatabase(), freshBucket()]);
    const impostor = node("impostor", "detector,merchant-state,customer-state", [], {
      ...pipelineEnv(otherDb, otherS3),
      CLUSTER_SECRET: "another-secret-of-enough-length",
    });
    await waitFor("the API", async () => (await fetch(`${api}/health`)).ok, 60_000, 250);
    node("chunker", "chunker", ["--source", files.transactions]);
    await waitFor("2 chunks applied", async () => (await applied()) >= 2, 60_000);

    // (b) a stock Moleculer broker without the secret, offering merchant-state and detector of its own
    const { actions, events } = serviceSurface();
    expect(actions).toEqual(expect.arrayContaining(["merchant-state.apply", "detector.thresholds", "s3-sink.flush", "api.stats"]));
    expect(events).toEqual(expect.arrayContaining(["chunk.landed", "detections.committed"]));
    const intruder = new ServiceBroker({ nodeID: "intruder", transporter: { type: "NATS", options: natsConnection(nats.url) }, logger: false });
    const forgedApply = {
      seq: 1_000_000,
      prevSeq: 0,
      chunkKey: "chunks/forged.csv",
      yStartTime: new Date().toISOString(),
      weightsVersion: 0,
      partitions: Array.from({ length: 8 }, (_, partition) => ({
        partition,
        rows: [{ customer: "C_FORGED", merchant: FORGED_MERCHANT, gender: "F", amount: "1" }],
      })),
    };
    intruder.createService({
      name: "merchant-state",
      actions: { apply: () => ({ applied: [...Array(8).keys()], skipped: [], detections: 0 }), partitions: () => [] },
    });
    intruder.createService({ name: "detector", actions: { thresholds: () => ({ ...SCALED_THRESHOLDS, childMinTxns: 1 }), rules: () => [] } });
    await intruder.start();
    teardown.push(() => intruder.stop());
    const targets = ["core", "ms-1", "ms-2", "ingest", "chunker"];
    const answers = await Promise.all(
      targets.flatMap((nodeID) =>
        actions.map(async (action) => {
          const ctx = forgedContext(intruder, nodeID, action === "merchant-state.apply" ? forgedApply : { id: FORGED_MERCHANT });
          ctx.action = { name: action };
          return Promise.race([
            intruder.transit!.request(ctx).then(
              () => "answered",
              () => "refused",
            ),
            sleep(3000).then(() => "no answer"),
          ]);
        }),
      ),
    );
    expect(new Set(answers)).toEqual(new Set(["no answer"]));
    for (const nodeID of targets) {
      for (const event of events) {
        const ctx = forgedContext(intruder, nodeID, { key: "chunks/forged.csv", rows: 1, seq: 1_000_000, count: 99, merchant: FORGED_MERCHANT });
        Object.assign(ctx, { eventName: event, eventType: "broadcast", endpoint: { id: nodeID } });
        await intruder.transit!.sendEvent(ctx);
      }
    }
    await expect(intruder.call("s3-sink.flush")).rejects.toThrow(/not found|not available/i);

    // (d) NATS killed mid-stream for 3 s, then started again on the same port
    const before = await applied();
    expect(before).toBeLessThan(reference.chunks - 8);
    await nats.kill();
    await sleep(3000);
    await nats.start();
    const back = Date.now();
    const during = await applied();
    await waitFor("chunks applied again after NATS returned", async () => (await applied()) > during, 10_000, 50);
    const resumedAfterMs = Date.now() - back;

    await waitFor("every chunk applied", async () => (await applied()) === reference.chunks, 90_000);
    const assigned = (await (await fetch(`${api}/partitions`, { headers: ADMIN_AUTH })).json()) as Array<{ assignedTo: string | null }>;
    expect(new Set(assigned.map((p) => p.assignedTo))).toEqual(new Set(["ms-1", "ms-2"]));
    const flushed = await fetch(`${api}/detections/flush`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...ADMIN_AUTH },
    });
    expect(flushed.ok).toBe(true);
    await waitFor(
      "db-sink to catch up",
      async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM detection_outbox WHERE NOT db_done`))[0].n === 0,
    );
    await expectExactResult(databaseUrl, s3, reference);

    const owners = await query<{ owner: string }>(databaseUrl, `SELECT DISTINCT owner FROM partition_state`);
    expect(owners.map((o) => o.owner).sort()).toEqual(["ms-1", "ms-2"]);
    const forged = await query<{ n: number }>(
      databaseUrl,
      `SELECT ((SELECT count(*) FROM pair_aggregates WHERE merchant = $1)
      + (SELECT count(*) FROM detection_outbox WHERE merchant = $1) + (SELECT count(*) FROM chunks WHERE key LIKE '%forged%')
      + (SELECT count(*) FROM partition_state WHERE applied_seq >= 1000000))::int AS n`,
      [FORGED_MERCHANT],
    );
    expect(forged[0].n).toBe(0);
    for (const key of await s3.store.listKeys(DETECTION_PREFIX)) expect(await s3.store.readText(key)).not.toContain("FORGED");

    await waitFor(
      "the rejected packets in stats",
      async () => ((await (await fetch(`${api}/stats`, { headers: ADMIN_AUTH })).json()) as { rejectedPackets: number }).rejectedPackets > 0,
      5000,
    );
    expect(nodes.map((n) => n.output()).join("")).toMatch(/dropped cluster packets that failed authentication/);
    expect(impostor.output()).toMatch(/dropped cluster packets that failed authentication/);
    expect(nodes.map((n) => n.output()).join("") + impostor.output()).not.toContain("nats-test-password");

    await tap.drain();
    expect(payloads.length).toBeGreaterThan(100);
    const leaked = payloads.flatMap((p) => (p.toString("latin1").match(/[CM]\d{4,}/g) ?? []).filter((m) => ids.has(m)));
    expect(leaked).toEqual([]);
    expect(resumedAfterMs).toBeLessThan(10_000);
  }, 150_000);
});
