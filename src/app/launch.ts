import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import path from "node:path";
import { ConfigError, type Config } from "../config";
import { BANKSIM_ROWS, generate } from "../demo/generator";
import type { Log } from "../log";
import { EMBEDDED_S3_KEY, startEmbeddedS3, type EmbeddedServer } from "./embedded";
import { startEmbeddedPostgres } from "./embedded-postgres";
import type { ResolvedConfig } from "./runtime";

export const DEMO_SEED = 42;

export interface Launched {
  readonly config: ResolvedConfig;
  readonly embedded: EmbeddedServer[];
}

/**
 * Fills in what the configuration leaves open: the embedded PostgreSQL and S3
 * server, and the demo data when no source is given.
 */
export async function resolveDefaults(config: Config, log: Log, signal?: AbortSignal): Promise<Launched> {
  if (config.transporter && (!config.databaseUrl || !config.s3.endpoint)) {
    throw new ConfigError("a cluster node (TRANSPORTER set) needs DATABASE_URL and S3_ENDPOINT: embedded servers are for one process only");
  }
  const embedded: EmbeddedServer[] = [];
  try {
    let databaseUrl = config.databaseUrl;
    if (!databaseUrl) {
      const pg = await startEmbeddedPostgres(path.join(config.dataDir, "postgres"), config.embeddedPgPort, log);
      embedded.push(pg);
      databaseUrl = pg.url;
      signal?.throwIfAborted();
    }
    let s3 = config.s3;
    if (!s3.endpoint) {
      const server = await startEmbeddedS3(path.join(config.dataDir, "s3"), config.embeddedS3Port, s3.bucket);
      embedded.push(server);
      s3 = { ...s3, endpoint: server.url, accessKeyId: EMBEDDED_S3_KEY, secretAccessKey: EMBEDDED_S3_KEY };
      signal?.throwIfAborted();
    }
    let { source, importance } = config;
    if (!source && config.services.includes("chunker")) {
      const demo = await demoData(path.join(config.dataDir, "demo"), log);
      source = demo.transactions;
      importance ??= demo.importance;
    }
    return { config: { ...config, databaseUrl, s3: { ...s3, endpoint: s3.endpoint! }, source, importance }, embedded };
  } catch (err) {
    await stopAll(embedded);
    throw err;
  }
}

async function demoData(dir: string, log: Log): Promise<{ transactions: string; importance: string }> {
  const transactions = path.join(dir, "transactions.csv");
  const importance = path.join(dir, "CustomerImportance.csv");
  if (!existsSync(transactions) || !existsSync(importance)) {
    log.info("generating demo data (first run)", { rows: BANKSIM_ROWS, dir });
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await generate({ rows: BANKSIM_ROWS, seed: DEMO_SEED, outDir: partial, dirty: 0.001 });
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
  }
  return { transactions, importance };
}

export async function stopAll(servers: readonly EmbeddedServer[]): Promise<void> {
  for (const s of [...servers].reverse()) await s.stop().catch(() => undefined);
}
