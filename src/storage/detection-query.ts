import type { DataSource, SelectQueryBuilder } from "typeorm";
import { selectOne, selectRows } from "./sql";
import { PatternDetectionEntity } from "../../entities/pattern-detection.entity";
import type { Detection } from "../detection";
import type { ReviewStatus } from "../review";

/** Which detections; every field given narrows the selection. */
export interface DetectionSelection {
  readonly patternId?: string;
  readonly merchant?: string;
  readonly customer?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Review status; new includes detections never reviewed. */
  readonly status?: ReviewStatus;
}

/** A page of detections, newest first. */
export interface DetectionQuery extends DetectionSelection {
  readonly limit: number;
  /** Detections with ids below this one (newest first). */
  readonly beforeId?: number;
}

function selected(ds: DataSource, f: DetectionSelection): SelectQueryBuilder<Detection> {
  const q = ds.getRepository(PatternDetectionEntity).createQueryBuilder("d");
  if (f.patternId) q.andWhere("d.patternId = :patternId", { patternId: f.patternId });
  if (f.merchant) q.andWhere("d.merchant = :merchant", { merchant: f.merchant });
  if (f.customer) q.andWhere("d.customer = :customer", { customer: f.customer });
  if (f.since) q.andWhere("d.detectionTime >= :since", { since: f.since });
  if (f.until) q.andWhere("d.detectionTime <= :until", { until: f.until });
  if (f.status === "new") {
    q.andWhere("NOT EXISTS (SELECT 1 FROM detection_reviews r WHERE r.detection_id = d.id AND r.status <> 'new')");
  } else if (f.status) {
    q.andWhere("EXISTS (SELECT 1 FROM detection_reviews r WHERE r.detection_id = d.id AND r.status = :status)", { status: f.status });
  }
  return q;
}

/** Detections newest first, filtered; one more than the limit tells whether a next page exists. */
export async function findDetections(ds: DataSource, f: DetectionQuery): Promise<{ items: Detection[]; more: boolean }> {
  const q = selected(ds, f);
  if (f.beforeId !== undefined) q.andWhere("d.id < :beforeId", { beforeId: f.beforeId });
  const rows = await q
    .orderBy("d.id", "DESC")
    .limit(f.limit + 1)
    .getMany();
  return { items: rows.slice(0, f.limit), more: rows.length > f.limit };
}

/**
 * Up to `limit` detections after `afterId`, oldest first. Ids become visible
 * in increasing order (moves into pattern_detections take turns, see
 * moveToPatternDetections), so a reader that resumes after the last id it
 * saw misses none.
 */
export async function detectionsAfter(ds: DataSource, f: DetectionSelection, afterId: number, limit: number): Promise<Detection[]> {
  return selected(ds, f).andWhere("d.id > :afterId", { afterId }).orderBy("d.id", "ASC").limit(limit).getMany();
}

/**
 * Every detection the selection holds, oldest first, `batchSize` at a time:
 * each batch is a query of its own that continues after the last id read, so
 * memory stays flat however many match and no connection is held in between.
 */
export async function* detectionBatches(ds: DataSource, f: DetectionSelection, batchSize: number): AsyncGenerator<Detection[]> {
  for (let afterId = 0; ;) {
    const rows = await detectionsAfter(ds, f, afterId, batchSize);
    if (rows.length > 0) yield rows;
    if (rows.length < batchSize) return;
    afterId = rows[rows.length - 1].id;
  }
}

export async function findDetection(ds: DataSource, id: number): Promise<Detection | null> {
  return ds.getRepository(PatternDetectionEntity).findOneBy({ id });
}

/** The id of the newest detection; 0 when there is none. */
export async function newestDetectionId(ds: DataSource): Promise<number> {
  const row = await selectOne<{ id: number }>(ds, `SELECT coalesce(max(id), 0)::bigint AS id FROM pattern_detections`);
  return row.id;
}

/** Detections in pattern_detections per pattern, as the moves into it count them. */
export async function countDetections(ds: DataSource): Promise<Record<string, number>> {
  const rows = await selectRows<{ patternId: string; n: number }>(ds, `SELECT patternid AS "patternId", n::int FROM detection_counts ORDER BY patternid`);
  return Object.fromEntries(rows.map((r) => [r.patternId, r.n]));
}
