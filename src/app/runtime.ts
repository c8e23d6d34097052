import type { DataSource } from "typeorm";
import type { BacktestSources } from "../backtest/backtest";
import type { Config, S3Settings } from "../config";
import type { Log } from "../log";
import { ensurePartitions, openDatabase } from "../storage/database";
import { createS3Client, ObjectStore } from "../storage/object-store";

/** Configuration once the embedded defaults (if any) are running: every address is known. */
export interface ResolvedConfig extends Config {
  readonly databaseUrl: string;
  readonly s3: S3Settings & { readonly endpoint: string };
  /** Local path or s3:// URL of the transactions source (chunker). */
  readonly source: string | undefined;
  readonly importance: string | undefined;
}

/** What the services of one process share: configuration, one database pool, one S3 client. */
export class Runtime {
  readonly store: ObjectStore;
  private database: Promise<DataSource> | undefined;

  constructor(
    readonly config: ResolvedConfig,
    private readonly log: Log,
    /** Aborted when the process is asked to stop; ends a database connect retry. */
    private readonly stopSignal?: AbortSignal,
  ) {
    this.store = new ObjectStore(createS3Client(config.s3), config.s3.bucket);
  }

  db(): Promise<DataSource> {
    this.database ??= openDatabase({ url: this.config.databaseUrl, applicationName: this.config.nodeId, log: this.log, signal: this.stopSignal }).then(
      async (ds) => {
        await ensurePartitions(ds, this.config.partitions);
        return ds;
      },
    );
    return this.database;
  }

  /** What a backtest reads: the recorded chunks in S3, read and split as ingest does, and the database. */
  async backtestSources(): Promise<BacktestSources> {
    return { db: await this.db(), store: this.store, partitions: this.config.partitions, maxRecordBytes: this.config.maxRecordBytes };
  }

  async close(): Promise<void> {
    const ds = await this.database?.catch(() => undefined);
    if (ds?.isInitialized) await ds.destroy();
    this.store.client.destroy();
  }
}
