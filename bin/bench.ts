import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { SERVICE_FACTORIES } from "../services";
import { EMBEDDED_S3_KEY, startEmbeddedPostgres, startEmbeddedS3, type EmbeddedServer } from "../src/app/embedded";
import { stopAll } from "../src/app/launch";
import { Runtime } from "../src/app/runtime";
import { ALL_SERVICES, loadConfig } from "../src/config";
import { BANKSIM_ROWS, generate } from "../src/demo/generator";
import { describeError, sleep } from "../src/retry";
import { outboxCounts } from "../src/storage/outbox";

/**
 * `npm run bench`: the full-size demo data through the whole pipeline in one
 * process, no pause between chunks, on fresh embedded PostgreSQL and S3.
 * Rows/s is measured from the first chunk read to the last detection written
 * by both sinks.
 */
async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), "tm-bench-"));
  const dataDir = path.resolve(".data", "bench-data");
  if (!existsSync(path.join(dataDir, "transactions.csv"))) {
    console.log(`generating ${BANKSIM_ROWS} rows of demo data into ${dataDir} ...`);
    await generate({ rows: BANKSIM_ROWS, seed: 42, outDir: dataDir, dirty: 0.001 });
  }
  const quiet = { info: () => undefined, warn: console.warn, error: console.error, debug: () => undefined };
  const servers: EmbeddedServer[] = [];
  try {
    const pg = await startEmbeddedPostgres(path.join(work, "postgres"), 25000 + Math.floor(Math.random() * 10000), quiet);
    servers.push(pg);
    const s3 = await startEmbeddedS3(path.join(work, "s3"), 45000 + Math.floor(Math.random() * 10000), "bench-bucket");
    servers.push(s3);
    const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", CONTROL_PORT: "0", API_PORT: "0", S3_FLUSH_IDLE_MS: "0" }, ["--chunk-interval-ms", "0"]);
    const runtime = new Runtime(
      {
        ...config,
        databaseUrl: pg.url,
        s3: { ...config.s3, endpoint: s3.url, bucket: "bench-bucket", accessKeyId: EMBEDDED_S3_KEY, secretAccessKey: EMBEDDED_S3_KEY },
        source: path.join(dataDir, "transactions.csv"),
        importance: path.join(dataDir, "CustomerImportance.csv"),
      },
      quiet,
    );
    const broker = new ServiceBroker(brokerOptions(runtime.config));
    for (const name of ALL_SERVICES) broker.createService(SERVICE_FACTORIES[name](runtime));
    await broker.start();
    const ds = await runtime.db();

    const expectedChunks = Math.ceil(BANKSIM_ROWS / config.chunkRows);
    for (;;) {
      const [{ done }] = await ds.query(`SELECT count(*)::int AS done FROM chunks WHERE status <> 'pending'`);
      if (done >= expectedChunks) break;
      await sleep(20);
    }
    await broker.call("db-sink.sync");
    await broker.call("s3-sink.flush");
    const sinksDone = Date.now();
    const [t] = await ds.query(
      `SELECT min(started_at) AS first, sum(rows_valid + rows_bad)::bigint AS rows,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000 AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at)) * 1000 AS p99,
              count(*)::int AS chunks
       FROM chunks`,
    );
    const detections = await outboxCounts(ds);
    const seconds = (sinksDone - new Date(t.first).getTime()) / 1000;
    await broker.stop();
    await runtime.close();
    console.log(`rows:               ${t.rows.toLocaleString("en-US")} in ${t.chunks} chunks`);
    console.log(`end to end:         ${seconds.toFixed(2)} s, ${Math.round(t.rows / seconds).toLocaleString("en-US")} rows/s (first chunk read -> last detection in both sinks)`);
    console.log(`chunk latency:      p50 ${Number(t.p50).toFixed(1)} ms, p99 ${Number(t.p99).toFixed(1)} ms (read, validate, apply, commit)`);
    console.log(`detections:         ${JSON.stringify(detections.byPattern)}`);
    console.log(`peak memory (RSS):  ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB (whole process: all services and the embedded S3 server)`);
  } finally {
    await stopAll(servers);
  }
}

main().catch((err) => {
  console.error(`bench failed: ${describeError(err)}`);
  process.exit(1);
});
