import "../src/app/compile-cache";
import { ServiceBroker, type ServiceSchema } from "moleculer";
import { brokerOptions } from "../moleculer.config";
import { SERVICE_FACTORIES } from "../services";
import { replCommands } from "../services/repl-commands";
import { pipelineStats, type PipelineStats } from "../src/api/stats";
import { redactOutput, sendConsoleToStderr } from "../src/app/console";
import type { EmbeddedServer } from "../src/app/embedded";
import { resolveDefaults, stopAll } from "../src/app/launch";
import { checkInputs } from "../src/app/preflight";
import { progressLine } from "../src/app/progress";
import { Runtime, type ResolvedConfig } from "../src/app/runtime";
import { exitWithUsageIfAsked } from "../src/app/usage";
import { ConfigError, describeSettings, loadConfig, secretsInEnvironment } from "../src/config";
import { Redactor } from "../src/redact";
import { WakeUp } from "../src/wake-up";
import { describeError, sleep } from "../src/retry";
import { BucketMissingError, CHUNK_PREFIX } from "../src/storage/object-store";
import { ChunkLedger } from "../src/storage/chunk-ledger";

const PROGRESS_EVERY_MS = 5000;
/** --once looks whether it is done whenever a chunk is processed or the source is finished, and at least this often. */
const ONCE_CHECK_EVERY_MS = 1000;

const USAGE = `
usage: npm start -- [--services LIST] [--source PATH|s3://bucket/key] [--importance PATH|s3://bucket/key]
                    [--chunk-interval-ms N] [--transporter nats://[user:pass@]host:4222] [--once] [--repl]
       node dist/bin/start.js [same flags]

Starts the configured services in this process (all of them by default) on an
embedded PostgreSQL and S3 server under DATA_DIR, or on the infrastructure the
environment names. Without --source, demo data is generated under DATA_DIR/demo.
--once: stops when the source is processed; progress on stderr, the JSON summary on stdout.
--transporter: join a cluster over NATS; every node needs the same CLUSTER_SECRET (rotation: new,old).
  Without it nothing but the API and the embedded servers (on 127.0.0.1) listens.
--repl: a Moleculer REPL in this process on stdout; logs are cut to warnings and errors, on stderr.
Ctrl-C / SIGTERM stop cleanly (progress is saved; the next start resumes).

Flags and environment variables:
${describeSettings()}
  AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY    S3 credentials (embedded S3: not needed)
  LOG_FORMAT=json                              JSON log lines
`;

/**
 * `npm start` and `npm run node`: starts the configured services in this
 * process (all of them by default) on the embedded defaults or on the
 * infrastructure the environment names.
 */
async function main(): Promise<void> {
  redactOutput(new Redactor(secretsInEnvironment(process.env)));
  exitWithUsageIfAsked(process.argv.slice(2), USAGE);
  const loaded = loadConfig(process.env, process.argv.slice(2), ["repl"]);
  const repl = process.argv.includes("--repl");
  // --repl: stdout belongs to the REPL; Moleculer writes warnings and errors to stderr, info lines to stdout.
  const config = repl && (loaded.logLevel === "info" || loaded.logLevel === "debug") ? { ...loaded, logLevel: "warn" as const } : loaded;
  // --once: stdout carries only the JSON summary.
  if (config.once) sendConsoleToStderr();
  // A stop asked for during startup ends the step under way (embedded servers, database connect retry).
  const stop = new AbortController();
  let started = false;
  let runtime: Runtime | undefined;
  let embedded: readonly EmbeddedServer[] = [];
  const database = () => (runtime ? runtime.db() : Promise.reject(new Error("the runtime is not ready yet")));
  let afterBroker: Promise<void> | undefined;
  const stopAfterBroker = (): Promise<void> =>
    (afterBroker ??= (async () => {
      await runtime?.close();
      await stopAll(embedded);
    })());
  const broker = new ServiceBroker(
    brokerOptions(
      config,
      {
        replOptions: { customCommands: replCommands, delimiter: "tm $" },
        // The REPL's quit stops the broker, then exits the process at once: the rest must stop with the broker.
        ...(repl ? { stopped: () => stopAfterBroker() } : {}),
      },
      database,
    ),
  );
  const log = broker.getLogger("launcher");
  let stopped: Promise<void> | undefined;
  const stopEverything = (): Promise<void> => {
    stopped ??= (async () => {
      await broker.stop().catch((err) => log.warn("stopping the broker failed", { error: describeError(err) }));
      await stopAfterBroker();
    })();
    return stopped;
  };
  const shutdown = async (code: number): Promise<never> => {
    await stopEverything();
    process.exit(code);
  };
  // This process stops everything itself, in order: the broker, the runtime, the embedded servers last.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      stop.abort(new StopRequested(signal));
      if (started) void shutdown(0);
    });
  }

  let resolved: ResolvedConfig;
  try {
    ({ config: resolved, embedded } = await resolveDefaults(config, log, stop.signal));
    runtime = new Runtime(resolved, log, stop.signal);
    if (embedded.length > 0 && !config.s3.endpoint) await runtime.store.createBucketIfMissing();
    await checkInputs(resolved, runtime.store);
    await runtime.db();
    for (const name of resolved.services) broker.createService(SERVICE_FACTORIES[name](runtime));
    if (resolved.once) broker.createService(onceProgress);
    stop.signal.throwIfAborted();
    await broker.start();
    started = true;
    stop.signal.throwIfAborted();
  } catch (err) {
    if (stop.signal.aborted) {
      log.info("stopped during startup", { signal: (stop.signal.reason as StopRequested).signal });
      return shutdown(0);
    }
    await stopEverything();
    throw err;
  }
  log.info("started", {
    node: resolved.nodeId,
    services: resolved.services.join(","),
    api: resolved.services.includes("api") ? `http://${resolved.apiHost}:${resolved.apiPort}/api` : "off",
  });

  if (resolved.once) {
    void reportProgress(runtime, () => stop.signal.aborted);
    const summary = await runOnce(broker, runtime);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    await shutdown(0);
  }
  if (repl) broker.repl();
  else if (resolved.services.includes("ingest")) void reportProgress(runtime, () => stop.signal.aborted);
}

class StopRequested extends Error {
  override name = "StopRequested";
  constructor(readonly signal: string) {
    super(`stop requested (${signal})`);
  }
}

/** Rung when a chunk is processed or the chunker finished the source: --once then looks whether it is done. */
const onceProgressed = new WakeUp();

const onceProgress: ServiceSchema = {
  name: "once-progress",
  events: {
    "chunk.processed": { handler: () => onceProgressed.ring() },
    "source.finished": { handler: () => onceProgressed.ring() },
  },
};

/** --once: waits until the source is chunked, every chunk applied, and both sinks are up to date. */
async function runOnce(broker: ServiceBroker, runtime: Runtime): Promise<PipelineStats & { seconds: number }> {
  const started = Date.now();
  const ds = await runtime.db();
  const ledger = new ChunkLedger(ds);
  for (;;) {
    const chunker: { finished: boolean } = await broker.call("chunker.status");
    // The bucket is listed only once nothing is pending (a listing costs as much as the bucket holds); pending is
    // asked again after the listing, since ingest may have registered the listed chunks in between.
    if (chunker.finished && !(await ledger.anyPending())) {
      const keys = await runtime.store.listKeys(CHUNK_PREFIX);
      const known = await ledger.allKeys();
      if (keys.every((k) => known.has(k)) && !(await ledger.anyPending())) break;
    }
    await onceProgressed.wait(ONCE_CHECK_EVERY_MS);
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
