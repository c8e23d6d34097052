import { selectRows, type SqlRunner } from "./sql";

/** One minute of the pipeline: detections stored per pattern, and the chunks and rows applied. */
export interface TimelineMinute {
  /** The minute's start. */
  readonly at: Date;
  readonly detections: Record<string, number>;
  readonly chunks: number;
  readonly rows: number;
}

/**
 * The last `minutes` minutes, oldest first, one entry per minute that had
 * detections or applied chunks; detections by their detection time (an
 * index), chunks by when they finished applying.
 */
export async function timeline(db: SqlRunner, minutes: number): Promise<TimelineMinute[]> {
  const [detections, chunks] = await Promise.all([
    selectRows<{ at: Date; patternId: string; n: number }>(
      db,
      `SELECT date_trunc('minute', detectiontime) AS at, patternid AS "patternId", count(*)::int AS n
       FROM pattern_detections WHERE detectiontime >= now() - make_interval(mins => $1)
       GROUP BY 1, 2`,
      [minutes],
    ),
    selectRows<{ at: Date; chunks: number; rows: number }>(
      db,
      `SELECT date_trunc('minute', finished_at) AS at, count(*)::int AS chunks, coalesce(sum(rows_valid + rows_bad), 0)::int AS rows
       FROM chunks WHERE status = 'applied' AND finished_at >= now() - make_interval(mins => $1)
       GROUP BY 1`,
      [minutes],
    ),
  ]);
  const byMinute = new Map<number, { at: Date; detections: Record<string, number>; chunks: number; rows: number }>();
  const minute = (at: Date) => {
    let m = byMinute.get(at.getTime());
    if (!m) byMinute.set(at.getTime(), (m = { at, detections: {}, chunks: 0, rows: 0 }));
    return m;
  };
  for (const d of detections) minute(d.at).detections[d.patternId] = d.n;
  for (const c of chunks) Object.assign(minute(c.at), { chunks: c.chunks, rows: c.rows });
  return [...byMinute.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
}
