import type { DataSource, Repository } from "typeorm";
import { ChunkRecordEntity, type ChunkRecord, type ChunkStatus } from "../../entities/chunk-record.entity";
import { LEDGER_LOCK } from "./lock-keys";
import { selectOne, selectRows, type SqlRunner } from "./sql";

export interface LedgerSummary {
  readonly discovered: number;
  readonly applied: number;
  readonly failed: number;
  readonly pending: number;
  readonly rowsValid: number;
  readonly rowsBad: number;
  readonly lastAppliedAt: Date | null;
}

/** A chunk whose processing has started. */
export interface StartedChunk {
  readonly seq: number;
  readonly key: string;
  /** When its processing first started. */
  readonly startedAt: Date;
  /** The key of the next pending chunk after it, if any. */
  readonly following: string | null;
  /** The sequence the partitions are at before it if every chunk before it is done: the last applied chunk before it, 0 if none. */
  readonly appliedBefore: number;
}

/** The ingest ledger: which chunk objects exist, in which order they apply, and how each ended. */
export class ChunkLedger {
  private readonly repo: Repository<ChunkRecord>;

  constructor(private readonly ds: DataSource) {
    this.repo = ds.getRepository(ChunkRecordEntity);
  }

  async allKeys(): Promise<Set<string>> {
    const rows = await selectRows<{ key: string }>(this.ds, `SELECT key FROM chunks`);
    return new Set(rows.map((r) => r.key));
  }

  /** Appends the keys not yet known, in the given order, after every known chunk. Returns those added. */
  async register(keys: readonly string[]): Promise<string[]> {
    if (keys.length === 0) return [];
    return this.ds.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock($1)`, [LEDGER_LOCK]);
      const known = await selectRows<{ key: string }>(em, `SELECT key FROM chunks WHERE key = ANY($1)`, [[...keys]]);
      const knownSet = new Set(known.map((r) => r.key));
      const fresh = keys.filter((k) => !knownSet.has(k));
      if (fresh.length > 0) {
        await em.query(
          `INSERT INTO chunks (seq, key, status)
           SELECT (SELECT coalesce(max(seq), 0) FROM chunks) + ord, key, 'pending'
           FROM unnest($1::text[]) WITH ORDINALITY AS k(key, ord)`,
          [fresh],
        );
      }
      return fresh;
    });
  }

  /**
   * Marks the first pending chunk after `after` as started (once: every retry
   * reuses the first start time) and returns it, in one round trip; null when
   * none is pending.
   */
  async startNext(after = 0): Promise<StartedChunk | null> {
    const rows = await selectRows<StartedChunk>(
      this.ds,
      `WITH started AS (
         UPDATE chunks SET started_at = coalesce(started_at, now())
         WHERE seq = (SELECT min(seq) FROM chunks WHERE status = 'pending' AND seq > $1)
         RETURNING seq, key, started_at)
       SELECT s.seq, s.key, s.started_at AS "startedAt",
              (SELECT key FROM chunks WHERE status = 'pending' AND seq > s.seq ORDER BY seq LIMIT 1) AS following,
              (SELECT coalesce(max(seq), 0) FROM chunks WHERE status = 'applied' AND seq < s.seq) AS "appliedBefore"
       FROM started s`,
      [after],
    );
    return rows[0] ?? null;
  }

  /** Whether a chunk waits to be applied (an index lookup, unlike `summary`). */
  async anyPending(): Promise<boolean> {
    return (await selectOne<{ pending: boolean }>(this.ds, `SELECT EXISTS (SELECT 1 FROM chunks WHERE status = 'pending') AS pending`)).pending;
  }

  async finish(seq: number, status: Exclude<ChunkStatus, "pending">, rowsValid: number, rowsBad: number, error: string | null = null): Promise<void> {
    await this.repo.update({ seq }, { status, finishedAt: new Date(), rowsValid, rowsBad, error });
  }

  async summary(): Promise<LedgerSummary> {
    return selectOne<LedgerSummary>(
      this.ds,
      `SELECT count(*)::int AS discovered,
              count(*) FILTER (WHERE status = 'applied')::int AS applied,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              coalesce(sum(rows_valid), 0)::bigint AS "rowsValid",
              coalesce(sum(rows_bad), 0)::bigint AS "rowsBad",
              max(finished_at) AS "lastAppliedAt"
       FROM chunks`,
    );
  }

  async failures(limit: number): Promise<ChunkRecord[]> {
    return this.repo.find({ where: { status: "failed" }, order: { seq: "DESC" }, take: limit });
  }
}

/** A chunk of the ledger: its sequence and object key. */
export interface LedgerChunk {
  readonly seq: number;
  readonly key: string;
}

/**
 * The chunks the partitions have applied, in sequence order: every chunk up to
 * the furthest partition fence that did not fail (as a partition load replays
 * them; ingest may have died before marking the last ones applied).
 */
export function appliedChunks(db: SqlRunner): Promise<LedgerChunk[]> {
  return selectRows<LedgerChunk>(
    db,
    `SELECT seq::int AS seq, key FROM chunks
     WHERE status <> 'failed' AND seq <= (SELECT coalesce(max(applied_seq), 0) FROM partition_state)
     ORDER BY seq`,
  );
}
