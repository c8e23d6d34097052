import type { DataSource } from "typeorm";
import { selectRows } from "./sql";
import { PatternDetectionEntity } from "../../entities/pattern-detection.entity";
import type { Detection } from "../detection";

/** Which detections to list; every field given narrows the list. */
export interface DetectionQuery {
  readonly patternId?: string;
  readonly merchant?: string;
  readonly customer?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
  /** Detections with ids below this one (newest first). */
  readonly beforeId?: number;
}

/** Detections newest first, filtered; one more than the limit tells whether a next page exists. */
export async function findDetections(ds: DataSource, f: DetectionQuery): Promise<{ items: Detection[]; more: boolean }> {
  const q = ds.getRepository(PatternDetectionEntity).createQueryBuilder("d");
  if (f.patternId) q.andWhere("d.patternId = :patternId", { patternId: f.patternId });
  if (f.merchant) q.andWhere("d.merchant = :merchant", { merchant: f.merchant });
  if (f.customer) q.andWhere("d.customer = :customer", { customer: f.customer });
  if (f.since) q.andWhere("d.detectionTime >= :since", { since: f.since });
  if (f.until) q.andWhere("d.detectionTime <= :until", { until: f.until });
  if (f.beforeId !== undefined) q.andWhere("d.id < :beforeId", { beforeId: f.beforeId });
  const rows = await q
    .orderBy("d.id", "DESC")
    .limit(f.limit + 1)
    .getMany();
  return { items: rows.slice(0, f.limit), more: rows.length > f.limit };
}

export async function countDetections(ds: DataSource): Promise<Record<string, number>> {
  const rows = await selectRows<{ patternId: string; n: number }>(
    ds,
    `SELECT patternid AS "patternId", count(*)::int AS n FROM pattern_detections GROUP BY patternid ORDER BY patternid`,
  );
  return Object.fromEntries(rows.map((r) => [r.patternId, r.n]));
}
