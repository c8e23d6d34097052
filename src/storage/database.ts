import pg from "pg";
import { DataSource } from "typeorm";
import { ENTITIES, MIGRATIONS } from "../../entities";
import { ConfigError } from "../config";
import { redactUrl } from "../redact";
import { describeError, retry } from "../retry";
import type { Log } from "../log";
import { MIGRATION_LOCK } from "./lock-keys";
import { selectOne } from "./sql";

// bigint columns (sequences, counts) stay far below 2^53; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DatabaseOptions {
  readonly url: string;
  readonly applicationName: string;
  readonly poolSize?: number;
  readonly log: Log;
  /** How long to keep retrying an unreachable database at startup. */
  readonly connectTimeoutMs?: number;
  /** Ends the connect retry early (a stop requested during startup). */
  readonly signal?: AbortSignal;
}

/** Connects (retrying while the server is unreachable), migrates under a lock, and returns the DataSource. */
export async function openDatabase(opts: DatabaseOptions): Promise<DataSource> {
  const dataSource = new DataSource({
    type: "postgres",
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: "typeorm_migrations",
    logging: false,
    extra: { max: opts.poolSize ?? 10, application_name: opts.applicationName, connectionTimeoutMillis: 5000 },
  });
  const where = redactUrl(opts.url);
  await retry(() => dataSource.initialize(), {
    until: Date.now() + (opts.connectTimeoutMs ?? 60_000),
    onRetry: (err, delayMs) => opts.log.warn(`database ${where} not reachable (${describeError(err)}); retrying in ${delayMs} ms`),
    giveUp: (err) => new Error(`database ${where} not reachable: ${describeError(err)}`),
    signal: opts.signal,
  });
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    await runner.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await dataSource.runMigrations({ transaction: "all" });
  } finally {
    await runner.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
  return dataSource;
}

/**
 * Records the partition count on first start and refuses another one later:
 * merchant → partition must not change under existing state.
 */
export async function ensurePartitions(ds: DataSource, partitions: number): Promise<void> {
  await ds.query(`INSERT INTO deployment_meta (key, value) VALUES ('partitions', $1) ON CONFLICT (key) DO NOTHING`, [String(partitions)]);
  const row = await selectOne<{ value: string }>(ds, `SELECT value FROM deployment_meta WHERE key = 'partitions'`);
  if (Number(row.value) !== partitions) {
    throw new ConfigError(`PARTITIONS=${partitions} but this database was created with ${row.value}; the partition count is fixed for a deployment`);
  }
  // Merchant partitions 0 … P−1, customer partitions P … 2P−1 (src/partitioning.ts). Partitions added to an
  // existing deployment (the customer ones, on upgrade) are at the last chunk the ledger records as applied (the
  // chunk ingest sends next follows it, even when some partitions had committed chunks after it that ingest never
  // got to record: they skip those when they come again), with no checkpoint: their first load replays every
  // chunk so far from S3, so that the customers' histories hold all their transactions, as on a new deployment.
  await ds.query(
    `INSERT INTO partition_state (partition, applied_seq, checkpoint_seq)
     SELECT p, x.at, 0 FROM generate_series(0, 2 * $1::int - 1) AS p,
            (SELECT coalesce(max(seq), 0) AS at FROM chunks WHERE status = 'applied') AS x
     ON CONFLICT DO NOTHING`,
    [partitions],
  );
}
