import "../src/app/compile-cache";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync } from "node:fs";
import { tmpdir } from "node:os";
import { rm } from "node:fs/promises";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { SERVICE_FACTORIES } from "../services";
import { EMBEDDED_S3_KEY, startEmbeddedS3, startLocalNats, type EmbeddedServer } from "../src/app/embedded";
import { startEmbeddedPostgres } from "../src/app/embedded-postgres";
import { processUsage } from "../src/bench/process-usage";
import { measureCadenceLatency } from "../src/bench/cadence";
import { createBucket, freshDatabase } from "../src/bench/end-to-end";
import { StreamProfile } from "../src/bench/stream-profile";
import { runVersusPeer } from "../src/bench/versus-peer";
import { stopAll } from "../src/app/launch";
import { NODE_FLAGS } from "../src/app/node-flags";
import { Runtime } from "../src/app/runtime";
import { ALL_SERVICES, ConfigError, loadBenchSettings, loadConfig, parseFlags, type ServiceName } from "../src/config";
import { BANKSIM_ROWS, generate } from "../src/demo/generator";
import { describeError, sleep } from "../src/retry";
import { outboxCounts } from "../src/storage/outbox";
import { selectOne, type SqlRunner } from "../src/storage/sql";

/** Chunks timed at the seeds' cadence. */
const CADENCE_CHUNKS = 20;

const USAGE = "usage: npm run bench -- [--cluster N [--kill-one | --join-one]] [--rows N] [--customers N] [--merchants N] [--cpu-profile FILE]";

const HELP = `
${USAGE}

Runs demo data (generated once into .data/bench-data-*) through the whole
pipeline on a fresh embedded PostgreSQL and S3 server in a temporary folder:
the chunker cuts every chunk into S3 first, then ingest starts, and it prints
the end-to-end rows/s (first chunk read -> last detection in both sinks), the
steady rate (-> last chunk committed), chunk latency, the size of the state
(customer-merchant pairs, customers, merchants), peak RSS and CPU seconds
of each process. --cluster N: N processes of merchant-state and customer-state over NATS;
--kill-one: kill one of them halfway; --join-one: start another one halfway.
--cpu-profile FILE: write a V8 CPU profile of the bench process over the
stream window (first chunk read -> last detection in both sinks; in one
process that is every service) to FILE, for Chrome DevTools.
In one process it then times \`node dist/bin/start.js --once\` on the same data
(spawn to exit, fresh database and bucket) and the plain-PostgreSQL peer
(src/bench/peer.ts) on another fresh database, prints both rates, their
ratio and whether both found the same detections, and runs the pipeline at
one chunk a second to time each chunk from landing in S3 to its detections in
PostgreSQL (p50/p99), over the chunks landing once it has caught up with those
that landed while it started.

Environment: NATS_URL (--cluster; default: a nats-server it starts), CLUSTER_SECRET
(--cluster; default: a random one for the run), LOG_LEVEL
(children's log level), and the variables of npm start, passed to the children.
`;

/**
 * `npm run bench`: demo data through the whole pipeline with no pause between
 * chunks, on a fresh embedded PostgreSQL and S3 server. One process by
 * default; with --cluster N, N merchant-state processes and this process
 * (the other services) over NATS (NATS_URL, or a nats-server it starts).
 * Rows/s runs from the first chunk read to the last detection in both sinks.
 */
async function main(): Promise<void> {
  exitWithUsageIfAsked(process.argv.slice(2), HELP);
  const settings = loadBenchSettings(process.env);
  const flags = parseFlags(process.argv.slice(2));
  for (const name of flags.keys())
    if (!["cluster", "rows", "customers", "merchants", "kill-one", "join-one", "cpu-profile"].includes(name))
      throw new ConfigError(`unknown flag --${name}\n${USAGE}`);
  const count = (name: string): number | undefined => {
    const v = flags.get(name);
    if (v !== undefined && !/^\d+$/.test(v)) throw new ConfigError(`--${name} must be a positive integer\n${USAGE}`);
    return v === undefined ? undefined : Number(v);
  };
  const nodes = count("cluster") ?? 0;
  const rows = count("rows") ?? BANKSIM_ROWS;
  const customers = count("customers");
  const merchants = count("merchants");
  const killOne = flags.get("kill-one") === "true";
  const joinOne = flags.get("join-one") === "true";
  const cpuProfileFile = flags.get("cpu-profile");
  if (cpuProfileFile === "true") throw new ConfigError(`--cpu-profile needs a file name\n${USAGE}`);
  const profile = cpuProfileFile === undefined ? undefined : new StreamProfile(path.resolve(cpuProfileFile));
  if (killOne && nodes < 2) throw new ConfigError(`--kill-one needs --cluster 2 or more\n${USAGE}`);
  if (joinOne && (nodes < 1 || killOne)) throw new ConfigError(`--join-one needs --cluster 1 or more, and no --kill-one\n${USAGE}`);

  const dataDir = path.resolve(".data", `bench-data-${rows}-${customers ?? "d"}-${merchants ?? "d"}`);
  if (!existsSync(path.join(dataDir, "CustomerImportance.csv"))) {
    console.log(`generating ${rows} rows of demo data into ${dataDir} ...`);
    await generate({ rows, seed: 42, outDir: dataDir, dirty: 0.001, customers, merchants });
  }
  const work = mkdtempSync(path.join(tmpdir(), "tm-bench-"));
  const quiet = { info: () => undefined, warn: console.warn, error: console.error, debug: () => undefined };
  const servers: EmbeddedServer[] = [];
  const children: Array<{ name: string; child: ChildProcess; peakKiB: number; cpuAtStart: number; cpuSeconds: number }> = [];
  let pgData: string | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaned ??= (async () => {
      for (const c of children) c.child.kill("SIGTERM");
      await Promise.all(
        children.map((c) => new Promise((r) => (c.child.exitCode !== null || c.child.signalCode !== null ? r(null) : c.child.once("exit", r)))),
      );
      await stopAll(servers);
      // As root the database lives outside the work folder (see embedded-postgres.ts); it is of no use after the run.
      if (pgData && !pgData.startsWith(work)) await rm(pgData, { recursive: true, force: true });
    })());
  // Ctrl-C or a timeout's SIGTERM must not leave the embedded PostgreSQL and the children running.
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping the bench's processes and servers`);
    void cleanUp().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const pg = await startEmbeddedPostgres(path.join(work, "postgres"), 25000 + Math.floor(Math.random() * 10000), quiet);
    servers.push(pg);
    pgData = pg.dataDir;
    const s3 = await startEmbeddedS3(path.join(work, "s3"), 45000 + Math.floor(Math.random() * 10000), "bench-bucket");
    servers.push(s3);
    let transporter: string | undefined;
    if (nodes > 0) {
      const nats = settings.natsUrl ? undefined : await startLocalNats(path.join(work, "nats"), settings.executableDirs);
      if (nats) servers.push(nats);
      transporter = settings.natsUrl ?? nats?.url;
      if (!transporter) throw new ConfigError("--cluster needs NATS: set NATS_URL or install nats-server");
    }
    const env: Record<string, string> = {
      ...(settings.environment as Record<string, string>),
      LOG_LEVEL: settings.logLevel ?? "warn",
      API_PORT: "0",
      S3_FLUSH_IDLE_MS: "0",
      DATABASE_URL: pg.url,
      S3_ENDPOINT: s3.url,
      S3_BUCKET: "bench-bucket",
      AWS_ACCESS_KEY_ID: EMBEDDED_S3_KEY,
      AWS_SECRET_ACCESS_KEY: EMBEDDED_S3_KEY,
      ...(transporter ? { TRANSPORTER: transporter, CLUSTER_SECRET: settings.clusterSecret ?? randomBytes(32).toString("hex") } : {}),
    };
    // In cluster mode chunker, ingest and each merchant-state node are processes of their own, so each one's memory is measured.
    const services: ServiceName[] = nodes > 0 ? ["detector", "db-sink", "s3-sink"] : [...ALL_SERVICES];
    const config = loadConfig({ ...env, NODE_ID: "bench-core" }, ["--chunk-interval-ms", "0", "--services", services.join(",")]);
    const runtime = new Runtime(
      {
        ...config,
        databaseUrl: pg.url,
        s3: { ...config.s3, endpoint: s3.url },
        source: path.join(dataDir, "transactions.csv"),
        importance: path.join(dataDir, "CustomerImportance.csv"),
      },
      quiet,
    );
    const ds = await runtime.db();
    const logs = path.join(work, "logs");
    mkdirSync(logs);
    const startChild = (name: string, nodeId: string, args: string[]) => {
      const log = openSync(path.join(logs, `${nodeId}.log`), "a");
      const child = spawn(process.execPath, [...NODE_FLAGS, path.join(__dirname, "start.js"), ...args], {
        env: { ...env, LOG_LEVEL: settings.logLevel ?? "info", NODE_ID: nodeId },
        stdio: ["ignore", log, log],
      });
      children.push({ name, child, peakKiB: 0, cpuAtStart: 0, cpuSeconds: 0 });
    };
    for (let i = 1; i <= nodes; i++) startChild(`merchant-state ${i}`, `bench-ms-${i}`, ["--services", "merchant-state,customer-state"]);
    if (nodes > 0) startChild("chunker", "bench-chunker", ["--services", "chunker", "--source", runtime.config.source!, "--chunk-interval-ms", "0"]);
    const broker = new ServiceBroker(brokerOptions(runtime.config, {}, () => runtime.db()));
    // Ingest starts once every chunk is in S3, so that the stream runs at its steady rate, not at the chunker's.
    for (const name of services) if (name !== "ingest") broker.createService(SERVICE_FACTORIES[name](runtime));
    const cutStarted = Date.now();
    await broker.start();
    const expectedChunks = await chunksWhenCut(ds);
    const cutSeconds = (Date.now() - cutStarted) / 1000;
    if (nodes > 0) {
      startChild("ingest", "bench-ingest", ["--services", "ingest", "--importance", runtime.config.importance!]);
      await broker.waitForServices(["merchant-state", "customer-state"], 30_000);
    } else broker.createService(SERVICE_FACTORIES.ingest(runtime));
    // CPU seconds count from the first chunk read, so that no process's startup (ingest's importance load) is in its figure.
    let streaming = false;
    let benchCpuAtStart = process.cpuUsage();
    const sample = () =>
      children.forEach((c) => {
        const usage = processUsage(c.child.pid);
        c.peakKiB = Math.max(c.peakKiB, usage.peakKiB);
        if (!streaming) c.cpuAtStart = usage.cpuSeconds;
        else if (usage.cpuSeconds > 0) c.cpuSeconds = usage.cpuSeconds - c.cpuAtStart;
      });
    const sampler = setInterval(sample, 500);

    const { chunkRows } = config;
    let killedAt: Date | undefined;
    let joinedAt: Date | undefined;
    for (;;) {
      const { started, done } = await selectOne<{ started: number; done: number }>(
        ds,
        `SELECT count(started_at)::int AS started, count(*) FILTER (WHERE status <> 'pending')::int AS done FROM chunks`,
      );
      if (!streaming && started > 0) {
        sample();
        await profile?.start();
        benchCpuAtStart = process.cpuUsage();
        streaming = true;
      }
      if (done >= expectedChunks) break;
      if (killOne && !killedAt && done >= expectedChunks / 2) {
        children[0].child.kill("SIGKILL");
        killedAt = new Date();
      }
      if (joinOne && !joinedAt && done >= expectedChunks / 2) {
        startChild(`merchant-state ${nodes + 1} (joined halfway)`, `bench-ms-${nodes + 1}`, ["--services", "merchant-state,customer-state"]);
        joinedAt = new Date();
      }
      await sleep(20);
    }
    await broker.call("db-sink.sync");
    await broker.call("s3-sink.flush");
    const sinksDone = Date.now();
    await profile?.stop();
    clearInterval(sampler);
    sample();
    const benchCpu = process.cpuUsage(benchCpuAtStart);
    const t = await selectOne<{ first: Date; applySeconds: number; rows: number; chunks: number; p50: number; p99: number }>(
      ds,
      `SELECT min(started_at) AS first, extract(epoch FROM max(finished_at) - min(started_at)) AS "applySeconds",
              sum(rows_valid + rows_bad)::bigint AS rows, count(*)::int AS chunks,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000 AS p99
       FROM chunks`,
    );
    const detections = await outboxCounts(ds);
    const changedAt = killedAt ?? joinedAt;
    const k = changedAt
      ? await selectOne<{ stalled: number; slowest: number }>(
          ds,
          `SELECT extract(epoch FROM min(finished_at) - $1::timestamptz) AS stalled, max(extract(epoch FROM finished_at - started_at)) AS slowest
           FROM chunks WHERE finished_at > $1`,
          [changedAt],
        )
      : undefined;
    const seconds = (sinksDone - new Date(t.first).getTime()) / 1000;
    await broker.stop();
    // What merchant-state holds, for peak RSS to be read against: a node checkpoints everything when it stops.
    const state = await selectOne<{ pairs: number; customers: number; merchants: number }>(
      ds,
      `SELECT count(*)::int AS pairs, count(DISTINCT customer)::int AS customers, count(DISTINCT merchant)::int AS merchants FROM pair_aggregates`,
    );
    await runtime.close();
    console.log(`mode:               ${nodes > 0 ? `cluster over NATS, ${nodes} merchant-state process(es)` : "one process"}`);
    console.log(`rows:               ${t.rows.toLocaleString("en-US")} in ${t.chunks} chunks`);
    console.log(
      `end to end:         ${seconds.toFixed(2)} s, ${Math.round(t.rows / seconds).toLocaleString("en-US")} rows/s (first chunk read -> last detection in both sinks)`,
    );
    console.log(
      `steady rate:        ${Math.round(t.rows / t.applySeconds).toLocaleString("en-US")} rows/s (chunks already in S3: first chunk read -> last chunk committed; the chunker cut them in ${cutSeconds.toFixed(2)} s before)`,
    );
    console.log(`chunk latency:      p50 ${Number(t.p50).toFixed(1)} ms, p99 ${Number(t.p99).toFixed(1)} ms (read, validate, apply, commit)`);
    console.log(`detections:         ${JSON.stringify(detections.byPattern)}`);
    console.log(
      `state:              ${state.pairs.toLocaleString("en-US")} customer-merchant pairs, ${state.customers.toLocaleString("en-US")} customers, ${state.merchants.toLocaleString("en-US")} merchants (checkpointed)`,
    );
    console.log(
      `peak RSS:           ${nodes > 0 ? "detector+sinks" : "all services"} + embedded S3 server: ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`,
    );
    for (const c of children)
      console.log(`                    ${c.name}: ${Math.round(c.peakKiB / 1024)} MiB${killedAt && c === children[0] ? " (killed -9 halfway)" : ""}`);
    console.log(
      `CPU in the stream:  ${nodes > 0 ? "detector+sinks" : "all services"} + embedded S3 server: ${((benchCpu.user + benchCpu.system) / 1e6).toFixed(1)} s (user + system)`,
    );
    for (const c of children) console.log(`                    ${c.name}: ${c.cpuSeconds.toFixed(1)} s`);
    if (nodes > 0) console.log(`process logs:       ${logs}`);
    if (cpuProfileFile) console.log(`CPU profile:        ${path.resolve(cpuProfileFile)} (this process, the stream window)`);
    if (nodes === 0) {
      const vs = await runVersusPeer({
        startScript: path.join(__dirname, "start.js"),
        env,
        postgresUrl: pg.url,
        s3: { ...config.s3, endpoint: s3.url, accessKeyId: EMBEDDED_S3_KEY, secretAccessKey: EMBEDDED_S3_KEY },
        source: runtime.config.source!,
        importance: runtime.config.importance!,
        chunkRows,
        thresholds: config.thresholds,
        work,
      });
      const oursRate = t.rows / vs.oursSeconds;
      const peerRate = vs.peer.rows / vs.peer.seconds;
      console.log(
        `start --once:       ${vs.oursSeconds.toFixed(2)} s, ${Math.round(oursRate).toLocaleString("en-US")} rows/s (node dist/bin/start.js --once, spawn to exit, fresh database and bucket)`,
      );
      console.log(
        `plain-PostgreSQL:   ${vs.peer.seconds.toFixed(2)} s, ${Math.round(peerRate).toLocaleString("en-US")} rows/s (peer: COPY each chunk into staging, upsert aggregates, the patterns in SQL after every chunk)`,
      );
      console.log(`ours / peer:        ${(oursRate / peerRate).toFixed(2)}x (end-to-end speed, start --once against the peer)`);
      const same = vs.onlyOurs.length === 0 && vs.onlyPeer.length === 0;
      console.log(
        `peer detections:    ${JSON.stringify(vs.peer.detections)}, ${same ? "the same detections as ours (PatId1–3 by pattern, customer, merchant; PatId4–6 by chunk and line too)" : `differ: ${vs.onlyOurs.length} only ours (e.g. ${vs.onlyOurs.slice(0, 3).join(", ")}), ${vs.onlyPeer.length} only the peer's (e.g. ${vs.onlyPeer.slice(0, 3).join(", ")})`}`,
      );
      const cadenceUrl = await freshDatabase(pg.url, "bench_cadence");
      await createBucket({ ...config.s3, endpoint: s3.url, accessKeyId: EMBEDDED_S3_KEY, secretAccessKey: EMBEDDED_S3_KEY }, "bench-cadence");
      const cadence = await measureCadenceLatency({
        startScript: path.join(__dirname, "start.js"),
        env: { ...env, DATABASE_URL: cadenceUrl, S3_BUCKET: "bench-cadence", DATA_DIR: path.join(work, "cadence-data") },
        databaseUrl: cadenceUrl,
        args: ["--source", runtime.config.source!, "--importance", runtime.config.importance!],
        onObjectCreated: (listener) => s3.onObjectCreated(listener),
        chunks: CADENCE_CHUNKS,
        sourceChunks: expectedChunks,
        logFile: path.join(work, "cadence.log"),
      });
      console.log(
        cadence
          ? `latency at cadence: p50 ${cadence.p50Ms.toFixed(1)} ms, p99 ${cadence.p99Ms.toFixed(1)} ms over ${cadence.chunks} chunks with detections (one chunk a second; chunk object in S3 -> its detections in PostgreSQL)`
          : `latency at cadence: no timed chunk had a detection`,
      );
    }
    if (killedAt) {
      console.log(
        `takeover:           first chunk applied ${Number(k?.stalled).toFixed(2)} s after the kill -9; slowest chunk ${Number(k?.slowest).toFixed(2)} s (failure detection + reload of the dead node's partitions)`,
      );
    }
    if (joinedAt) {
      console.log(
        `join:               slowest chunk after the new node started ${Number(k?.slowest).toFixed(2)} s (the partitions it takes move: checkpoint by the node they leave, load by the new one)`,
      );
    }
  } finally {
    await cleanUp();
  }
}

/** Waits for the chunker to finish the source; returns how many chunks it wrote. */
async function chunksWhenCut(ds: SqlRunner): Promise<number> {
  for (;;) {
    const cut = await selectOne<{ finished: boolean; chunks: number }>(
      ds,
      `SELECT coalesce(bool_and(finished), false) AS finished, coalesce(sum(chunks_written), 0)::int AS chunks FROM chunker_progress`,
    );
    if (cut.finished) return cut.chunks;
    await sleep(20);
  }
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : `bench failed: ${describeError(err)}`);
  process.exit(1);
});
