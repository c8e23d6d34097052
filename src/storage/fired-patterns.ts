import type { DataSource } from "typeorm";
import type { Detection } from "../detection";
import { selectRows } from "./sql";

export type MerchantDetection = Pick<Detection, "patternId" | "actionType" | "customer" | "chunk" | "detectionTime" | "explanation">;

/** A detection's explanation, null for one committed before they were kept (an empty object: migration 1766000000000). */
const EXPLANATION = `nullif(explanation, '{}'::jsonb) AS explanation`;

/** The PatId1–3 detections a merchant has fired, oldest first (committed with the state, so current); its transactions' are in the detection list. */
export async function firedPatterns(ds: DataSource, merchant: string): Promise<MerchantDetection[]> {
  return selectRows<MerchantDetection>(
    ds,
    `SELECT patternid AS "patternId", actiontype AS "actionType", customer, chunk, detectiontime AS "detectionTime", ${EXPLANATION}
     FROM detection_outbox WHERE merchant = $1 AND line IS NULL ORDER BY id`,
    [merchant],
  );
}

export type CustomerDetection = Pick<Detection, "patternId" | "actionType" | "merchant" | "chunk" | "line" | "amount" | "detectionTime" | "explanation">;

/** A customer's latest detections in pattern_detections, newest first. */
export async function customerDetections(ds: DataSource, customer: string, limit = 100): Promise<CustomerDetection[]> {
  return selectRows<CustomerDetection>(
    ds,
    `SELECT patternid AS "patternId", actiontype AS "actionType", merchant, chunk, line, amount::text AS amount, detectiontime AS "detectionTime", ${EXPLANATION}
     FROM pattern_detections WHERE customer = $1 ORDER BY id DESC LIMIT $2`,
    [customer, limit],
  );
}
