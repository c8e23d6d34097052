import { EntitySchema } from "typeorm";

/** Which chunk a partition has applied last; the fence every commit checks. */
export interface PartitionRecord {
  partition: number;
  appliedSeq: number;
  checkpointSeq: number;
  /** The node that last applied a chunk to this partition or checkpointed it (column `owner`). */
  lastCommitter: string | null;
  updatedAt: Date;
}

export const PartitionRecordEntity = new EntitySchema<PartitionRecord>({
  name: "PartitionRecord",
  tableName: "partition_state",
  columns: {
    partition: { type: "integer", primary: true },
    appliedSeq: { type: "bigint", name: "applied_seq" },
    checkpointSeq: { type: "bigint", name: "checkpoint_seq" },
    lastCommitter: { type: "text", name: "owner", nullable: true },
    updatedAt: { type: "timestamptz", name: "updated_at" },
  },
});
