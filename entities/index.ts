import { ChunkRecordEntity } from "./chunk-record.entity";
import { Initial1763900000000 } from "./migrations/1763900000000-initial";
import { ExactAmounts1765000000000 } from "./migrations/1765000000000-exact-amounts";
import { RejectedPackets1765100000000 } from "./migrations/1765100000000-rejected-packets";
import { ConfigVersions1765200000000 } from "./migrations/1765200000000-config-versions";
import { ImportanceByContent1765300000000 } from "./migrations/1765300000000-importance-by-content";
import { PairCheckpointLog1765400000000 } from "./migrations/1765400000000-pair-checkpoint-log";
import { TransactionRules1765500000000 } from "./migrations/1765500000000-transaction-rules";
import { Alerts1765600000000 } from "./migrations/1765600000000-alerts";
import { Backtests1765700000000 } from "./migrations/1765700000000-backtests";
import { ChunkCategoryStats1765800000000 } from "./migrations/1765800000000-chunk-category-stats";
import { DetectionReviews1765900000000 } from "./migrations/1765900000000-detection-reviews";
import { Explanations1766000000000 } from "./migrations/1766000000000-explanations";
import { DetectionCounts1766100000000 } from "./migrations/1766100000000-detection-counts";
import { PartitionRecordEntity } from "./partition-record.entity";
import { PatternDetectionEntity } from "./pattern-detection.entity";

export const ENTITIES = [PatternDetectionEntity, ChunkRecordEntity, PartitionRecordEntity];
export const MIGRATIONS = [
  Initial1763900000000,
  ExactAmounts1765000000000,
  RejectedPackets1765100000000,
  ConfigVersions1765200000000,
  ImportanceByContent1765300000000,
  PairCheckpointLog1765400000000,
  TransactionRules1765500000000,
  Alerts1765600000000,
  Backtests1765700000000,
  ChunkCategoryStats1765800000000,
  DetectionReviews1765900000000,
  Explanations1766000000000,
  DetectionCounts1766100000000,
];
