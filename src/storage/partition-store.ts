import type { DataSource, EntityManager } from "typeorm";
import type { FiredDetection } from "../detection";
import { configVersionAt, holdConfigShared, readConfigVersions, type ConfigVersionRow } from "./config-versions";
import {
  appendPairCheckpoints,
  readPairCheckpoints,
  type PartitionCheckpoint,
  type PartitionCustomerHistory,
  type PartitionPairAggregate,
} from "./pair-checkpoints";
import { selectOne, selectRows } from "./sql";
import { weightsVersion } from "./weights-store";

/** A commit lost the optimistic check: another node applied to one of the partitions since we loaded it. */
export class FencedOutError extends Error {
  override name = "FencedOutError";
}

/** A commit computed its chunk with another configuration version than the one now in force for that chunk. */
export class StaleConfigError extends Error {
  override name = "StaleConfigError";
}

/** Partitions' progress, aggregates and detections in PostgreSQL; every commit is fenced on the applied sequence. */
export class PgPartitionStore {
  constructor(private readonly ds: DataSource) {}

  read(partitions: readonly number[]): Promise<StoredPartitions> {
    return readPartitions(this.ds, partitions);
  }

  lastCommitters(partitions: readonly number[]): Promise<Map<number, string>> {
    return lastCommitters(this.ds, partitions);
  }

  commitChunk(commit: ChunkCommit): Promise<void> {
    return commitChunk(this.ds, commit);
  }

  checkpoint(checkpoint: Checkpoint, seq: number, committer: string): Promise<void> {
    return checkpointPartitions(this.ds, checkpoint, seq, committer);
  }
}

/** How far a partition has applied, and the chunk its persisted aggregates reflect. */
export interface PartitionProgressRow {
  readonly partition: number;
  readonly appliedSeq: number;
  readonly checkpointSeq: number;
}

/** A detection already in the outbox: it must not fire again. */
export interface EmittedRow {
  readonly partition: number;
  readonly patternId: string;
  readonly merchant: string;
  readonly customer: string;
}

export interface ChunkRef {
  readonly seq: number;
  readonly key: string;
}

/** w(c,m) by partition, merchant and customer. */
export type WeightsByPartition = Map<number, Map<string, Map<string, number>>>;

export interface StoredPartitions {
  readonly weights: WeightsByPartition;
  /** Which importance data the weights come from. */
  readonly weightsVersion: number;
  readonly partitions: PartitionProgressRow[];
  /** Each partition's checkpointed pairs in log order: a later entry of a pair replaces an earlier one. */
  readonly pairs: PartitionPairAggregate[];
  /** Each partition's checkpointed customer histories in log order, likewise. */
  readonly histories: PartitionCustomerHistory[];
  /** Per partition, the entries its checkpoint log holds since its last full set. */
  readonly loggedPairs: Map<number, number>;
  readonly emitted: EmittedRow[];
  /** The chunks some partition must replay after its checkpoint, in order. */
  readonly replay: ChunkRef[];
  /** Every configuration version, oldest first; it covers every chunk the partitions have applied. */
  readonly configVersions: ConfigVersionRow[];
}

/**
 * Reads partitions: their weights, and their checkpointed aggregates, applied
 * sequence and emitted detections from one snapshot so that those agree. The
 * two reads run at once on two connections; weights need no common snapshot
 * with the rest, since the version read with them names them.
 */
async function readPartitions(ds: DataSource, partitions: readonly number[]): Promise<StoredPartitions> {
  const ids = [...partitions];
  const [{ weights, version }, checkpoints] = await Promise.all([readWeights(ds, ids), readCheckpoints(ds, ids)]);
  return { weights, weightsVersion: version, ...checkpoints };
}

/** The partitions' weights and the importance load they come from, read in one snapshot (a backtest reads them too). */
export async function readWeights(ds: DataSource, ids: number[]): Promise<{ weights: WeightsByPartition; version: number }> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const weights: WeightsByPartition = new Map();
    const rows = await selectRows<PackedMerchantRow>(
      em,
      `SELECT partition, merchant, ${packColumns(["customer", "weight::text"])} FROM customer_weights WHERE partition = ANY($1) GROUP BY partition, merchant`,
      [ids],
    );
    for (const row of rows) {
      const [customers, values] = unpackColumns(row, 2);
      const byCustomer = new Map<string, number>();
      for (let i = 0; i < customers.length; i++) byCustomer.set(customers[i], Number(values[i]));
      let byMerchant = weights.get(row.partition);
      if (!byMerchant) weights.set(row.partition, (byMerchant = new Map<string, Map<string, number>>()));
      byMerchant.set(row.merchant, byCustomer);
    }
    return { weights, version: await weightsVersion(em) };
  });
}

/** One row per merchant, its pairs packed by packColumns into col0, col1, ... */
type PackedMerchantRow = Record<`col${number}`, string> & { partition: number; merchant: string };

async function readCheckpoints(ds: DataSource, ids: number[]): Promise<Omit<StoredPartitions, "weights" | "weightsVersion">> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const partitions = await selectRows<PartitionProgressRow>(
      em,
      `SELECT partition, applied_seq AS "appliedSeq", checkpoint_seq AS "checkpointSeq" FROM partition_state WHERE partition = ANY($1)`,
      [ids],
    );
    const configVersions = await readConfigVersions(em);
    if (partitions.length === 0) return { partitions, pairs: [], histories: [], loggedPairs: new Map(), emitted: [], replay: [], configVersions };
    const { pairs, histories, logged } = await readPairCheckpoints(em, ids);
    // Transaction rules fire per row and are never looked up again: only PatId1–3 (no line) are remembered.
    const emitted = await selectRows<EmittedRow>(
      em,
      `SELECT partition, patternid AS "patternId", merchant, customer FROM detection_outbox WHERE partition = ANY($1) AND line IS NULL`,
      [ids],
    );
    const from = Math.min(...partitions.map((p) => p.checkpointSeq));
    const to = Math.max(...partitions.map((p) => p.appliedSeq));
    // Not only 'applied' chunks: a partition's fence may be past a chunk that ingest never got to mark
    // applied (it died after the commits). Failed chunks were never sent to any partition.
    const replay =
      to > from
        ? await selectRows<ChunkRef>(em, `SELECT seq, key FROM chunks WHERE status <> 'failed' AND seq > $1 AND seq <= $2 ORDER BY seq`, [from, to])
        : [];
    return { partitions, pairs, histories, loggedPairs: logged, emitted, replay, configVersions };
  });
}

/**
 * A takeover loads a million weights: one row per merchant with each column
 * packed into a string and split in JavaScript took 40% less time than a row
 * object per weight. Every column is ordered by customer (unique within a
 * merchant), so the i-th entries belong together. The separator cannot occur
 * in the data: validation keeps control characters out.
 */
function packColumns(columns: readonly string[]): string {
  return columns.map((c, i) => `string_agg(${c}, chr(30) ORDER BY customer) AS col${i}`).join(", ");
}

function unpackColumns(row: PackedMerchantRow, count: number): string[][] {
  return Array.from({ length: count }, (_, i) => row[`col${i}`].split("\u001e"));
}

/** A detection a chunk fired, as it enters the outbox with its partition. */
export type PartitionDetection = FiredDetection & { readonly partition: number };

/** A category's figures as they are stored: amounts as exact decimal text. */
export interface CategoryStatsRow {
  readonly category: string;
  readonly transactions: number;
  readonly amount: string;
  readonly flagged: number;
  readonly flaggedAmount: string;
  readonly highValue: number;
  readonly blacklisted: number;
  readonly blacklistedAmount: string;
  readonly anomaly: number;
}

/** A chunk's figures for one category over the partitions of one commit (keyed by the lowest of them), as they enter `chunk_category_stats`. */
export type PartitionCategoryStats = CategoryStatsRow & { readonly partition: number };

/** Partitions' aggregates persisted with a chunk. */
export type Checkpoint = readonly PartitionCheckpoint[];

export interface ChunkCommit {
  readonly seq: number;
  /** Every partition in `partitions` must be at this sequence in the database. */
  readonly prevSeq: number;
  readonly partitions: readonly number[];
  /** The node committing: recorded as the partitions' last committer. */
  readonly committer: string;
  readonly chunkKey: string;
  readonly yStartTime: Date;
  readonly detectionTime: Date;
  readonly detections: readonly PartitionDetection[];
  /** Per category, the chunk's transactions in these partitions and those PatId4–6 flagged. */
  readonly categoryStats?: readonly PartitionCategoryStats[];
  /** The configuration version the chunk was computed with: it must be the one in force for `seq`. */
  readonly configVersion: number;
  /** Partitions whose aggregates are persisted with this chunk. */
  readonly checkpoint?: Checkpoint;
}

/** The node that last committed to each partition (applied a chunk or checkpointed it). */
async function lastCommitters(ds: DataSource, partitions: readonly number[]): Promise<Map<number, string>> {
  if (partitions.length === 0) return new Map();
  const rows = await selectRows<{ partition: number; lastCommitter: string }>(
    ds,
    `SELECT partition, owner AS "lastCommitter" FROM partition_state WHERE partition = ANY($1) AND owner IS NOT NULL`,
    [[...partitions]],
  );
  return new Map(rows.map((r) => [r.partition, r.lastCommitter]));
}

/**
 * Commits a chunk's effect on some partitions atomically: fence, detections,
 * and any checkpoint; StaleConfigError if a configuration version recorded
 * since the chunk was computed applies to it.
 */
async function commitChunk(ds: DataSource, c: ChunkCommit): Promise<void> {
  await ds.transaction(async (em) => {
    await holdConfigShared(em);
    await advanceFence(em, c.partitions, c.prevSeq, c.seq, c.committer, `chunk ${c.seq} (${c.chunkKey})`);
    const inForce = await configVersionAt(em, c.seq);
    if (inForce !== c.configVersion) {
      throw new StaleConfigError(
        `chunk ${c.seq} (${c.chunkKey}) was computed with configuration version ${c.configVersion}, but version ${inForce} is in force for it`,
      );
    }
    if (c.detections.length > 0) {
      await em.query(
        `INSERT INTO detection_outbox (partition, chunk_seq, chunk, patternid, actiontype, customer, merchant, ystarttime, detectiontime, amount, line, explanation)
         SELECT p, $1, $2, pid, act, cust, merch, $3, $4, amt, ln, expl
         FROM unnest($5::int[], $6::text[], $7::text[], $8::text[], $9::text[], $10::numeric[], $11::int[], $12::jsonb[]) AS t(p, pid, act, cust, merch, amt, ln, expl)
         ON CONFLICT DO NOTHING`,
        [
          c.seq,
          c.chunkKey,
          c.yStartTime,
          c.detectionTime,
          c.detections.map((m) => m.partition),
          c.detections.map((m) => m.patternId),
          c.detections.map((m) => m.actionType),
          c.detections.map((m) => m.customer),
          c.detections.map((m) => m.merchant),
          c.detections.map((m) => m.amount ?? null),
          c.detections.map((m) => m.line ?? null),
          c.detections.map((m) => JSON.stringify(m.explanation)),
        ],
      );
    }
    if (c.categoryStats && c.categoryStats.length > 0) await insertCategoryStats(em, c.seq, c.categoryStats);
    if (c.checkpoint && c.checkpoint.length > 0) await writeCheckpoint(em, c.checkpoint, c.seq);
  });
}

async function insertCategoryStats(em: EntityManager, seq: number, stats: readonly PartitionCategoryStats[]): Promise<void> {
  const column = <K extends keyof PartitionCategoryStats>(k: K) => stats.map((s) => s[k]);
  await em.query(
    `INSERT INTO chunk_category_stats (chunk_seq, partition, category, transactions, amount, flagged, flagged_amount, high_value, blacklisted, blacklisted_amount, anomaly)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::int[], $5::numeric[], $6::int[], $7::numeric[], $8::int[], $9::int[], $10::numeric[], $11::int[])`,
    [
      seq,
      column("partition"),
      column("category"),
      column("transactions"),
      column("amount"),
      column("flagged"),
      column("flaggedAmount"),
      column("highValue"),
      column("blacklisted"),
      column("blacklistedAmount"),
      column("anomaly"),
    ],
  );
}

/** Persists partitions' aggregates as of `seq`, if they are still at `seq` (nobody applied past them). */
async function checkpointPartitions(ds: DataSource, checkpoint: Checkpoint, seq: number, committer: string): Promise<void> {
  await ds.transaction(async (em) => {
    await advanceFence(
      em,
      checkpoint.map((c) => c.partition),
      seq,
      seq,
      committer,
      `checkpoint at chunk ${seq}`,
    );
    await writeCheckpoint(em, checkpoint, seq);
  });
}

async function writeCheckpoint(em: EntityManager, checkpoint: Checkpoint, seq: number): Promise<void> {
  await appendPairCheckpoints(em, checkpoint, seq);
  await em.query(`UPDATE partition_state SET checkpoint_seq = $1 WHERE partition = ANY($2)`, [seq, checkpoint.map((c) => c.partition)]);
}

/** Moves partitions from `prevSeq` to `seq`, or throws FencedOutError if any of them is not at `prevSeq`. */
async function advanceFence(em: EntityManager, partitions: readonly number[], prevSeq: number, seq: number, committer: string, what: string): Promise<void> {
  const { advanced } = await selectOne<{ advanced: number }>(
    em,
    `WITH moved AS (
       UPDATE partition_state SET applied_seq = $1, owner = $2, updated_at = now()
       WHERE partition = ANY($3) AND applied_seq = $4 RETURNING 1)
     SELECT count(*)::int AS advanced FROM moved`,
    [seq, committer, [...partitions], prevSeq],
  );
  if (advanced !== partitions.length) {
    throw new FencedOutError(`${what}: ${partitions.length - advanced} of ${partitions.length} partitions are no longer at chunk ${prevSeq}`);
  }
}
