import type { DataSource } from "typeorm";
import type { Detection } from "../detection";
import { selectRows } from "./sql";

export type MerchantDetection = Pick<Detection, "patternId" | "actionType" | "customer" | "chunk" | "detectionTime">;

/** The PatId1–3 detections a merchant has fired, oldest first (committed with the state, so current); its transactions' are in the detection list. */
export async function firedPatterns(ds: DataSource, merchant: string): Promise<MerchantDetection[]> {
  return selectRows<MerchantDetection>(
    ds,
    `SELECT patternid AS "patternId", actiontype AS "actionType", customer, chunk, detectiontime AS "detectionTime"
     FROM detection_outbox WHERE merchant = $1 AND line IS NULL ORDER BY id`,
    [merchant],
  );
}
