import { selectFirst, selectOne, selectRows, type SqlRunner } from "./sql";

export type BacktestStatus = "running" | "done" | "failed";

/** One backtest as listed: who asked, what, over which chunks, and how it went. */
export interface BacktestSummaryRow {
  readonly id: number;
  /** `cli`, or `api key <name>`. */
  readonly requestedBy: string;
  readonly requestedAt: Date;
  /** The candidate settings as given. */
  readonly candidate: unknown;
  /** The chunks compared (ledger sequences); null: from the first / to the last. */
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  readonly status: BacktestStatus;
  readonly error: string | null;
  readonly finishedAt: Date | null;
}

/** A backtest with its result (null until done). */
export interface BacktestRow extends BacktestSummaryRow {
  readonly result: unknown;
}

const SUMMARY = `id, requested_by AS "requestedBy", requested_at AS "requestedAt", candidate, from_seq AS "fromSeq", to_seq AS "toSeq",
  status, error, finished_at AS "finishedAt"`;

/** Records a backtest as running; returns its id. */
export async function createBacktest(
  db: SqlRunner,
  run: { readonly requestedBy: string; readonly candidate: unknown; readonly fromSeq?: number; readonly toSeq?: number },
): Promise<number> {
  const row = await selectOne<{ id: number }>(
    db,
    `INSERT INTO backtests (requested_by, candidate, from_seq, to_seq) VALUES ($1, $2::jsonb, $3, $4) RETURNING id`,
    [run.requestedBy, JSON.stringify(run.candidate), run.fromSeq ?? null, run.toSeq ?? null],
  );
  return row.id;
}

export async function finishBacktest(db: SqlRunner, id: number, result: unknown): Promise<void> {
  await db.query(`UPDATE backtests SET status = 'done', result = $2::jsonb, finished_at = now() WHERE id = $1`, [id, JSON.stringify(result)]);
}

export async function failBacktest(db: SqlRunner, id: number, error: string): Promise<void> {
  await db.query(`UPDATE backtests SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`, [id, error]);
}

export function readBacktest(db: SqlRunner, id: number): Promise<BacktestRow | undefined> {
  return selectFirst<BacktestRow>(db, `SELECT ${SUMMARY}, result FROM backtests WHERE id = $1`, [id]);
}

/** The latest backtests, newest first, without their results. */
export function listBacktests(db: SqlRunner, limit: number): Promise<BacktestSummaryRow[]> {
  return selectRows<BacktestSummaryRow>(db, `SELECT ${SUMMARY} FROM backtests ORDER BY id DESC LIMIT $1`, [limit]);
}
