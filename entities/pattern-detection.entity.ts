import { EntitySchema } from "typeorm";
import type { Detection } from "../src/detection";

/** `pattern_detections`: every detection exactly once (written by db-sink), its lower-case columns mapped to Detection. */
export const PatternDetectionEntity = new EntitySchema<Detection>({
  name: "PatternDetection",
  tableName: "pattern_detections",
  columns: {
    id: { type: "bigint", primary: true, generated: "increment" },
    yStartTime: { type: "timestamptz", name: "ystarttime" },
    detectionTime: { type: "timestamptz", name: "detectiontime" },
    patternId: { type: "text", name: "patternid" },
    actionType: { type: "text", name: "actiontype" },
    customer: { type: "text" },
    merchant: { type: "text" },
    chunk: { type: "text" },
  },
  uniques: [{ name: "pattern_detections_identity", columns: ["patternId", "customer", "merchant"] }],
});
