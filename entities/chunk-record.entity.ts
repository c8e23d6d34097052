import { EntitySchema } from "typeorm";

export type ChunkStatus = "pending" | "applied" | "failed";

/** The ingest ledger: every object found under transaction-chunks/, in discovery order. */
export interface ChunkRecord {
  seq: number;
  key: string;
  status: ChunkStatus;
  discoveredAt: Date;
  /** When processing first started; the detections' YStartTime, kept across retries. */
  startedAt: Date | null;
  finishedAt: Date | null;
  rowsValid: number | null;
  rowsBad: number | null;
  error: string | null;
}

export const ChunkRecordEntity = new EntitySchema<ChunkRecord>({
  name: "ChunkRecord",
  tableName: "chunks",
  columns: {
    seq: { type: "bigint", primary: true },
    key: { type: "text", unique: true },
    status: { type: "text" },
    discoveredAt: { type: "timestamptz", name: "discovered_at" },
    startedAt: { type: "timestamptz", name: "started_at", nullable: true },
    finishedAt: { type: "timestamptz", name: "finished_at", nullable: true },
    rowsValid: { type: "integer", name: "rows_valid", nullable: true },
    rowsBad: { type: "integer", name: "rows_bad", nullable: true },
    error: { type: "text", nullable: true },
  },
});
