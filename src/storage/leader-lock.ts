import type { DataSource } from "typeorm";
import { SessionLock } from "./session-lock";

/**
 * One active copy of a singleton service at a time: the copy holding the lock
 * works, the others wait. If the holder dies, its lock goes with its
 * connection and a standby takes over.
 */
export class LeaderLock {
  private readonly lock: SessionLock;

  constructor(ds: DataSource, lockId: number) {
    this.lock = new SessionLock(ds, [lockId]);
  }

  /** True while this process holds the lock; tries to take it when it does not. */
  async hold(): Promise<boolean> {
    const held = this.lock.held;
    const runner = await this.lock.connection();
    if (!runner) return false;
    if (!held) return true;
    try {
      await runner.query("SELECT 1");
      return true;
    } catch {
      await this.lock.release();
      return false;
    }
  }

  /** Whether this process holds the lock, without trying to take it. */
  get held(): boolean {
    return this.lock.held;
  }

  release(): Promise<void> {
    return this.lock.release();
  }
}
