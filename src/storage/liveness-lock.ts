import type { DataSource } from "typeorm";
import { hash32 } from "../partitioning";
import { SessionLock } from "./session-lock";
import { LIVENESS_LOCK_CLASS } from "./lock-keys";
import { selectOne } from "./sql";

/** The second key: a node id hashed into PostgreSQL's non-negative int4 range. */
export function livenessKey(nodeId: string): number {
  return hash32(nodeId) & 0x7fffffff;
}

export interface LivenessReading {
  /** The backend holding our lock; it changes when our session was lost (a database restart) and taken again. */
  readonly session: number;
  /** Liveness keys held by any session of this database, ours included. */
  readonly live: ReadonlySet<number>;
}

/**
 * Each cluster node holds a session lock keyed by its node id. PostgreSQL
 * drops it the moment that process's connection closes, which on kill -9 is
 * at once: a peer reading pg_locks learns of the death long before a
 * heartbeat timeout would.
 */
export class LivenessLock {
  private readonly lock: SessionLock;

  constructor(ds: DataSource, nodeId: string) {
    this.lock = new SessionLock(ds, [LIVENESS_LOCK_CLASS, livenessKey(nodeId)]);
  }

  /**
   * Takes the lock if this process does not hold it yet, and reads which nodes
   * hold theirs. Returns undefined while another live process holds this node
   * id's lock (a duplicate NODE_ID, or our previous incarnation not yet gone).
   */
  async read(): Promise<LivenessReading | undefined> {
    const runner = await this.lock.connection();
    if (!runner) return undefined;
    try {
      const row = await selectOne<{ session: number; live: number[] }>(
        runner,
        `SELECT pg_backend_pid() AS session,
                array(SELECT objid::int FROM pg_locks
                      WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
                        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS live`,
        [LIVENESS_LOCK_CLASS],
      );
      return { session: row.session, live: new Set(row.live) };
    } catch (err) {
      await this.lock.release();
      throw err;
    }
  }

  release(): Promise<void> {
    return this.lock.release();
  }
}
