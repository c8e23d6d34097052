import { EntitySchema } from "typeorm";
import type { Detection, Explanation } from "../src/detection";

/** Detections committed before explanations were kept have an empty object (migration 1766000000000): read as null. */
const NO_EXPLANATION = {
  from: (stored: Explanation): Explanation | null => (Object.keys(stored).length === 0 ? null : stored),
  to: (value: Explanation | null): Explanation | null => value,
};

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
    amount: { type: "numeric", nullable: true },
    line: { type: "integer", nullable: true },
    explanation: { type: "jsonb", transformer: NO_EXPLANATION },
  },
  indices: [
    { name: "pattern_detections_pattern_identity", columns: ["patternId", "customer", "merchant"], unique: true, where: "line IS NULL" },
    { name: "pattern_detections_transaction_identity", columns: ["patternId", "chunk", "line"], unique: true, where: "line IS NOT NULL" },
  ],
});
