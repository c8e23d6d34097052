import type { FiredDetection } from "../detection";
import type { PartitionRows } from "../ingest/apply-request";
import type { ConfigVersion, PatternRule, TransactionRule } from "../patterns";
import type { ChunkCategoryStats } from "./category-stats";
import type { PartitionAggregates } from "./partition-aggregates";

/**
 * Applies one chunk's rows to a partition with the configuration version in
 * force for the chunk (`config`; `before`: the one in force for the chunk the
 * partition applied last): its customers' transactions are judged, then its
 * merchants' rows applied and the patterns evaluated, leaving out the rules
 * the version switches off; when the version changes with the chunk, every
 * pattern is judged again on everything.
 */
export function applyChunkRows(
  state: PartitionAggregates,
  rows: PartitionRows,
  config: ConfigVersion,
  before: ConfigVersion | undefined,
  rules: { readonly patterns: readonly PatternRule[]; readonly transactions: readonly TransactionRule[] },
  stats?: ChunkCategoryStats,
): FiredDetection[] {
  const { disabledPatterns } = config.thresholds;
  const on = <R extends { patternId: string }>(list: readonly R[]) =>
    disabledPatterns.length === 0 ? list : list.filter((r) => !disabledPatterns.includes(r.patternId));
  const judged = state.judge(rows.customerRows, on(rules.transactions), config.thresholds, stats);
  const fired = state.apply(rows.rows, on(rules.patterns), config.thresholds, before !== undefined && before.version !== config.version);
  return judged.length === 0 ? fired : [...judged, ...fired];
}
