import type { DataSource } from "typeorm";
import { selectRows } from "./sql";

export interface FiredPattern {
  readonly patternId: string;
  readonly actionType: string;
  readonly customer: string;
  readonly chunk: string;
  readonly detectionTime: Date;
}

/** The detections a merchant has fired, oldest first (committed with the state, so current). */
export async function firedPatterns(ds: DataSource, merchant: string): Promise<FiredPattern[]> {
  return selectRows<FiredPattern>(
    ds,
    `SELECT patternid AS "patternId", actiontype AS "actionType", customer, chunk, detectiontime AS "detectionTime"
     FROM detection_outbox WHERE merchant = $1 ORDER BY id`,
    [merchant],
  );
}
