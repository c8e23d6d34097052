import type { DataSource, Repository } from "typeorm";
import { ChunkRecordEntity, type ChunkRecord, type ChunkStatus } from "../../entities/chunk-record.entity";
import { LEDGER_LOCK } from "./lock-keys";
import { selectOne, selectRows } from "./sql";

export interface LedgerSummary {
  readonly discovered: number;
  readonly applied: number;
  readonly failed: number;
  readonly pending: number;
  readonly rowsValid: number;
  readonly rowsBad: number;
  readonly lastAppliedAt: Date | null;
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

  async nextPending(after = 0): Promise<ChunkRecord | null> {
    return this.repo.createQueryBuilder("c").where("c.status = 'pending' AND c.seq > :after", { after }).orderBy("c.seq", "ASC").getOne();
  }

  /** Marks processing as started once; returns the start time every retry reuses. */
  async start(seq: number): Promise<Date> {
    const row = await selectOne<{ startedAt: Date }>(
      this.ds,
      `WITH started AS (UPDATE chunks SET started_at = coalesce(started_at, now()) WHERE seq = $1 RETURNING started_at)
       SELECT started_at AS "startedAt" FROM started`,
      [seq],
    );
    return row.startedAt;
  }

  /** The sequence the partitions are at before chunk `seq`: the last applied chunk before it, 0 if none. */
  async appliedBefore(seq: number): Promise<number> {
    const row = await selectOne<{ seq: number }>(this.ds, `SELECT coalesce(max(seq), 0) AS seq FROM chunks WHERE status = 'applied' AND seq < $1`, [seq]);
    return row.seq;
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
