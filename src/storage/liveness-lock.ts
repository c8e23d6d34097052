import type { DataSource, QueryRunner } from "typeorm";
import { hash32 } from "../partitioning";

/** First key of the two-key advisory locks that say "this node is alive". */
const LIVENESS_LOCK_CLASS = 7_700_100;

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
 * Each cluster node holds a session-level advisory lock keyed by its node id
 * on a connection of its own. PostgreSQL drops the lock the moment that
 * process's connection closes, which on kill -9 is at once: a peer reading
 * pg_locks learns of the death long before a heartbeat timeout would.
 */
export class LivenessLock {
  private runner: QueryRunner | undefined;

  constructor(
    private readonly ds: DataSource,
    readonly nodeId: string,
  ) {}

  /**
   * Takes the lock if this process does not hold it yet, and reads which nodes
   * hold theirs. Returns undefined while another live process holds this node
   * id's lock (a duplicate NODE_ID, or our previous incarnation not yet gone).
   */
  async read(): Promise<LivenessReading | undefined> {
    if (!this.runner) {
      const runner = this.ds.createQueryRunner();
      await runner.connect();
      const [{ locked }] = await runner.query("SELECT pg_try_advisory_lock($1, $2) AS locked", [LIVENESS_LOCK_CLASS, livenessKey(this.nodeId)]);
      if (!locked) {
        await runner.release();
        return undefined;
      }
      this.runner = runner;
    }
    try {
      const [row] = await this.runner.query(
        `SELECT pg_backend_pid() AS session,
                array(SELECT objid::int FROM pg_locks
                      WHERE locktype = 'advisory' AND granted AND classid = $1 AND objsubid = 2
                        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS live`,
        [LIVENESS_LOCK_CLASS],
      );
      return { session: row.session, live: new Set(row.live as number[]) };
    } catch (err) {
      await this.release();
      throw err;
    }
  }

  async release(): Promise<void> {
    const runner = this.runner;
    this.runner = undefined;
    if (!runner) return;
    await runner.query("SELECT pg_advisory_unlock($1, $2)", [LIVENESS_LOCK_CLASS, livenessKey(this.nodeId)]).catch(() => undefined);
    await runner.release().catch(() => undefined);
  }
}
