import type { DataSource, QueryRunner } from "typeorm";
import { selectOne } from "./sql";

/**
 * A session-level advisory lock on a connection of its own. PostgreSQL drops
 * it the moment that connection closes, so the death of the holding process
 * frees it at once, kill -9 included.
 */
export class SessionLock {
  private runner: QueryRunner | undefined;

  /** One bigint key, or two int4 keys (class, id). */
  constructor(
    private readonly ds: DataSource,
    private readonly key: readonly [number] | readonly [number, number],
  ) {}

  /** The connection holding the lock, taking the lock if it is free; undefined while another session holds it. */
  async connection(): Promise<QueryRunner | undefined> {
    if (this.runner) return this.runner;
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    const { locked } = await selectOne<{ locked: boolean }>(runner, `SELECT pg_try_advisory_lock(${this.placeholders()}) AS locked`, [...this.key]);
    if (locked) this.runner = runner;
    else await runner.release();
    return this.runner;
  }

  get held(): boolean {
    return this.runner !== undefined;
  }

  /** Unlocks (if the connection still works) and gives the connection back. */
  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    await runner.query(`SELECT pg_advisory_unlock(${this.placeholders()})`, [...this.key]).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }

  private placeholders(): string {
    return this.key.map((_, i) => `$${i + 1}`).join(", ");
  }
}
