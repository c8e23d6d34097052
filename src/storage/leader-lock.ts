import type { DataSource, QueryRunner } from "typeorm";

export const INGEST_LEADER_LOCK = 7_700_010;
export const CHUNKER_LEADER_LOCK = 7_700_011;

/**
 * A session-level advisory lock on a connection of its own: one active copy
 * of a singleton service at a time. If the holder dies, PostgreSQL drops its
 * connection and the lock with it, and a standby takes over.
 */
export class LeaderLock {
  private runner: QueryRunner | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly lockId: number,
  ) {}

  /** True while this process holds the lock; tries to take it when it does not. */
  async hold(): Promise<boolean> {
    if (this.runner) {
      try {
        await this.runner.query("SELECT 1");
        return true;
      } catch {
        await this.release();
        return false;
      }
    }
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    const [{ locked }] = await runner.query("SELECT pg_try_advisory_lock($1) AS locked", [this.lockId]);
    if (locked) this.runner = runner;
    else await runner.release();
    return locked;
  }

  /** Whether this process holds the lock, without trying to take it. */
  get held(): boolean {
    return this.runner !== undefined;
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    await runner.query("SELECT pg_advisory_unlock($1)", [this.lockId]).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }
}
