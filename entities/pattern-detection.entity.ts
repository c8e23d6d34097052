import { EntitySchema } from "typeorm";

/** One row of `pattern_detections`: every detection exactly once (written by db-sink). */
export interface PatternDetection {
  id: number;
  ystarttime: Date;
  detectiontime: Date;
  patternid: string;
  actiontype: string;
  customer: string;
  merchant: string;
  chunk: string;
}

export const PatternDetectionEntity = new EntitySchema<PatternDetection>({
  name: "PatternDetection",
  tableName: "pattern_detections",
  columns: {
    id: { type: "bigint", primary: true, generated: "increment" },
    ystarttime: { type: "timestamptz" },
    detectiontime: { type: "timestamptz" },
    patternid: { type: "text" },
    actiontype: { type: "text" },
    customer: { type: "text" },
    merchant: { type: "text" },
    chunk: { type: "text" },
  },
  uniques: [{ name: "pattern_detections_identity", columns: ["patternid", "customer", "merchant"] }],
});
