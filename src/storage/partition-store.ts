import type { DataSource, EntityManager } from "typeorm";
import { decimalOf, formatDecimal } from "../decimal";
import type { Match, PairRow } from "../state/partition-state";
import { PartitionState } from "../state/partition-state";
import { weightsVersion } from "./weights-store";

/** A commit lost the optimistic check: another node applied to one of the partitions since we loaded it. */
export class FencedOutError extends Error {
  override name = "FencedOutError";
}

export interface LoadedPartitions {
  /** States as of their checkpoints. */
  readonly states: Map<number, PartitionState>;
  /** How far each partition has applied: its state must replay the applied chunks after its checkpoint up to here. */
  readonly appliedSeq: Map<number, number>;
  /** The chunks some partition must replay, in order. */
  readonly replay: Array<{ seq: number; key: string }>;
}

/**
 * Loads partitions: their weights, and their checkpointed aggregates, applied
 * sequence and emitted detections from one snapshot so that those agree. The
 * two reads run at once on two connections; weights need no common snapshot
 * with the rest, since the version read with them names them.
 */
export async function loadPartitions(ds: DataSource, partitions: readonly number[]): Promise<LoadedPartitions> {
  const ids = [...partitions];
  const [{ weights, version }, checkpoints] = await Promise.all([loadWeights(ds, ids), loadCheckpoints(ds, ids)]);
  const states = new Map<number, PartitionState>();
  for (const { partition, checkpointSeq } of checkpoints.partitions) {
    const byMerchant = weights.get(partition) ?? new Map<string, Map<string, number>>();
    states.set(partition, new PartitionState(partition, checkpointSeq, checkpointSeq, (m, c) => byMerchant.get(m)?.get(c), version));
  }
  const missing = ids.filter((p) => !states.has(p));
  if (missing.length > 0) throw new Error(`partition_state has no row for partition(s) ${missing.join(", ")}`);
  for (const row of checkpoints.aggregates) {
    const merchant = states.get(row.partition)!.merchant(row.merchant);
    const merchantWeights = weights.get(row.partition)?.get(row.merchant);
    const [customers, counts, amounts, genders] = unpackColumns(row, 4);
    for (let i = 0; i < customers.length; i++) {
      merchant.restore(customers[i], Number(counts[i]), decimalOf(amounts[i], "pair_aggregates.amount_sum"), genders[i], merchantWeights?.get(customers[i]));
    }
  }
  for (const d of checkpoints.emitted) states.get(d.partition)!.markEmitted(d.patternid, d.merchant, d.customer);
  const appliedSeq = new Map(checkpoints.partitions.map((p) => [p.partition, p.appliedSeq]));
  return { states, appliedSeq, replay: checkpoints.replay };
}

async function loadWeights(ds: DataSource, ids: number[]): Promise<{ weights: Map<number, Map<string, Map<string, number>>>; version: number }> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const weights = new Map<number, Map<string, Map<string, number>>>();
    for (const row of await em.query(
      `SELECT partition, merchant, ${packColumns(["customer", "weight::text"])} FROM customer_weights WHERE partition = ANY($1) GROUP BY partition, merchant`,
      [ids],
    )) {
      const [customers, values] = unpackColumns(row, 2);
      const byCustomer = new Map<string, number>();
      for (let i = 0; i < customers.length; i++) byCustomer.set(customers[i], Number(values[i]));
      let byMerchant = weights.get(row.partition);
      if (!byMerchant) weights.set(row.partition, (byMerchant = new Map()));
      byMerchant.set(row.merchant, byCustomer);
    }
    return { weights, version: await weightsVersion(em) };
  });
}

interface StoredCheckpoints {
  readonly partitions: Array<{ partition: number; appliedSeq: number; checkpointSeq: number }>;
  /** One row per merchant, its pairs packed by packColumns. */
  readonly aggregates: Array<Record<string, string> & { partition: number; merchant: string }>;
  readonly emitted: Array<{ partition: number; patternid: string; merchant: string; customer: string }>;
  readonly replay: Array<{ seq: number; key: string }>;
}

async function loadCheckpoints(ds: DataSource, ids: number[]): Promise<StoredCheckpoints> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const partitions = await em.query(
      `SELECT partition, applied_seq AS "appliedSeq", checkpoint_seq AS "checkpointSeq" FROM partition_state WHERE partition = ANY($1)`,
      [ids],
    );
    if (partitions.length === 0) return { partitions, aggregates: [], emitted: [], replay: [] };
    // Grouping a million pairs by merchant spills to disk at the default 4 MB.
    await em.query(`SET LOCAL work_mem = '64MB'`);
    const aggregates = await em.query(
      `SELECT partition, merchant, ${packColumns(["customer", "txn_count::text", "amount_sum::text", "gender"])}
       FROM pair_aggregates WHERE partition = ANY($1) GROUP BY partition, merchant`,
      [ids],
    );
    const emitted = await em.query(`SELECT partition, patternid, merchant, customer FROM detection_outbox WHERE partition = ANY($1)`, [ids]);
    const from = Math.min(...partitions.map((p: { checkpointSeq: number }) => p.checkpointSeq));
    const to = Math.max(...partitions.map((p: { appliedSeq: number }) => p.appliedSeq));
    // Not only 'applied' chunks: a partition's fence may be past a chunk that ingest never got to mark
    // applied (it died after the commits). Failed chunks were never sent to any partition.
    const replay = to > from ? await em.query(`SELECT seq, key FROM chunks WHERE status <> 'failed' AND seq > $1 AND seq <= $2 ORDER BY seq`, [from, to]) : [];
    return { partitions, aggregates, emitted, replay };
  });
}

/**
 * A takeover loads a million pairs: one row per merchant with each column
 * packed into a string and split in JavaScript took 40% less time than a row
 * object per pair. Every column is ordered by customer (unique within a
 * merchant), so the i-th entries belong together. The separator cannot occur
 * in the data: validation keeps control characters out.
 */
function packColumns(columns: readonly string[]): string {
  return columns.map((c, i) => `string_agg(${c}, chr(30) ORDER BY customer) AS col${i}`).join(", ");
}

function unpackColumns(row: Record<string, string>, count: number): string[][] {
  return Array.from({ length: count }, (_, i) => row[`col${i}`].split("\u001e"));
}

export interface Checkpoint {
  readonly partitions: readonly number[];
  readonly pairs: ReadonlyArray<PairRow & { partition: number }>;
}

export interface ChunkCommit {
  readonly seq: number;
  /** Every partition in `partitions` must be at this sequence in the database. */
  readonly prevSeq: number;
  readonly partitions: readonly number[];
  readonly owner: string;
  readonly chunkKey: string;
  readonly yStartTime: Date;
  readonly detectionTime: Date;
  readonly matches: ReadonlyArray<Match & { partition: number }>;
  /** Partitions whose aggregates are persisted with this chunk. */
  readonly checkpoint?: Checkpoint;
}

/** The node that last committed to each partition (applied a chunk or checkpointed it). */
export async function lastCommitters(ds: DataSource, partitions: readonly number[]): Promise<Map<number, string>> {
  if (partitions.length === 0) return new Map();
  const rows = await ds.query(`SELECT partition, owner FROM partition_state WHERE partition = ANY($1) AND owner IS NOT NULL`, [[...partitions]]);
  return new Map(rows.map((r: { partition: number; owner: string }) => [r.partition, r.owner]));
}

/** Commits a chunk's effect on some partitions atomically: fence, detections, and any checkpoint. */
export async function commitChunk(ds: DataSource, c: ChunkCommit): Promise<void> {
  await ds.transaction(async (em) => {
    await advanceFence(em, c.partitions, c.prevSeq, c.seq, c.owner, `chunk ${c.seq} (${c.chunkKey})`);
    if (c.matches.length > 0) {
      await em.query(
        `INSERT INTO detection_outbox (partition, chunk_seq, chunk, patternid, actiontype, customer, merchant, ystarttime, detectiontime)
         SELECT p, $1, $2, pid, act, cust, merch, $3, $4
         FROM unnest($5::int[], $6::text[], $7::text[], $8::text[], $9::text[]) AS t(p, pid, act, cust, merch)
         ON CONFLICT (patternid, customer, merchant) DO NOTHING`,
        [
          c.seq, c.chunkKey, c.yStartTime, c.detectionTime,
          c.matches.map((m) => m.partition), c.matches.map((m) => m.patternId), c.matches.map((m) => m.actionType),
          c.matches.map((m) => m.customer), c.matches.map((m) => m.merchant),
        ],
      );
    }
    if (c.checkpoint && c.checkpoint.partitions.length > 0) await writeCheckpoint(em, c.checkpoint, c.seq);
  });
}

/** Persists partitions' aggregates as of `seq`, if they are still at `seq` (nobody applied past them). */
export async function checkpointPartitions(ds: DataSource, checkpoint: Checkpoint, seq: number, owner: string): Promise<void> {
  await ds.transaction(async (em) => {
    await advanceFence(em, checkpoint.partitions, seq, seq, owner, `checkpoint at chunk ${seq}`);
    await writeCheckpoint(em, checkpoint, seq);
  });
}

async function writeCheckpoint(em: EntityManager, checkpoint: Checkpoint, seq: number): Promise<void> {
  const rows = checkpoint.pairs;
  if (rows.length > 0) {
    await em.query(
      `INSERT INTO pair_aggregates (partition, merchant, customer, txn_count, amount_sum, gender)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::numeric[], $6::text[])
       ON CONFLICT (partition, merchant, customer) DO UPDATE SET txn_count = EXCLUDED.txn_count, amount_sum = EXCLUDED.amount_sum`,
      [
        rows.map((r) => r.partition), rows.map((r) => r.merchant), rows.map((r) => r.customer), rows.map((r) => r.n),
        rows.map((r) => formatDecimal(r.amount)), rows.map((r) => r.gender),
      ],
    );
  }
  await em.query(`UPDATE partition_state SET checkpoint_seq = $1 WHERE partition = ANY($2)`, [seq, [...checkpoint.partitions]]);
}

/** Moves partitions from `prevSeq` to `seq`, or throws FencedOutError if any of them is not at `prevSeq`. */
async function advanceFence(em: EntityManager, partitions: readonly number[], prevSeq: number, seq: number, owner: string, what: string): Promise<void> {
  const [{ advanced }] = await em.query(
    `WITH moved AS (
       UPDATE partition_state SET applied_seq = $1, owner = $2, updated_at = now()
       WHERE partition = ANY($3) AND applied_seq = $4 RETURNING 1)
     SELECT count(*)::int AS advanced FROM moved`,
    [seq, owner, [...partitions], prevSeq],
  );
  if (advanced !== partitions.length) {
    throw new FencedOutError(`${what}: ${partitions.length - advanced} of ${partitions.length} partitions are no longer at chunk ${prevSeq}`);
  }
}
