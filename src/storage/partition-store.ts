import type { DataSource, EntityManager } from "typeorm";
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
 * Loads partitions from one snapshot, so that each partition's checkpointed
 * aggregates, applied sequence and emitted detections agree.
 */
export async function loadPartitions(ds: DataSource, partitions: readonly number[]): Promise<LoadedPartitions> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const ids = [...partitions];
    const weights = new Map<number, Map<string, Map<string, number>>>(ids.map((p) => [p, new Map()]));
    // One row per merchant with its pairs packed into a string rather than a row object per pair
    // (a takeover loads millions of pairs; the measured gain was within noise, see the README).
    for (const w of await em.query(
      `SELECT partition, merchant, string_agg(customer || ${UNIT} || weight::text, ${RECORD}) AS packed
       FROM customer_weights WHERE partition = ANY($1) GROUP BY partition, merchant`,
      [ids],
    )) {
      const customers = new Map<string, number>();
      for (const pair of unpack(w.packed)) customers.set(pair[0], Number(pair[1]));
      weights.get(w.partition)!.set(w.merchant, customers);
    }
    const version = await weightsVersion(em);
    const states = new Map<number, PartitionState>();
    const appliedSeq = new Map<number, number>();
    for (const row of await em.query(`SELECT partition, applied_seq, checkpoint_seq FROM partition_state WHERE partition = ANY($1)`, [ids])) {
      const byMerchant = weights.get(row.partition)!;
      states.set(row.partition, new PartitionState(row.partition, row.checkpoint_seq, row.checkpoint_seq, (m, c) => byMerchant.get(m)?.get(c), version));
      appliedSeq.set(row.partition, row.applied_seq);
    }
    const missing = ids.filter((p) => !states.has(p));
    if (missing.length > 0) throw new Error(`partition_state has no row for partition(s) ${missing.join(", ")}`);
    for (const r of await em.query(
      `SELECT partition, merchant, string_agg(customer || ${UNIT} || txn_count || ${UNIT} || amount_cents || ${UNIT} || gender, ${RECORD}) AS packed
       FROM pair_aggregates WHERE partition = ANY($1) GROUP BY partition, merchant`,
      [ids],
    )) {
      const state = states.get(r.partition)!;
      for (const [customer, n, cents, gender] of unpack(r.packed)) {
        state.restorePair({ merchant: r.merchant, customer, n: Number(n), cents: Number(cents), gender });
      }
    }
    for (const d of await em.query(`SELECT partition, patternid, merchant, customer FROM detection_outbox WHERE partition = ANY($1)`, [ids])) {
      states.get(d.partition)!.markEmitted(d.patternid, d.merchant, d.customer);
    }
    const from = Math.min(...[...states.values()].map((s) => s.checkpointSeq));
    const to = Math.max(...appliedSeq.values());
    // Not only 'applied' chunks: a partition's fence may be past a chunk that ingest never got to mark
    // applied (it died after the commits). Failed chunks were never sent to any partition.
    const replay: Array<{ seq: number; key: string }> = to > from
      ? await em.query(`SELECT seq, key FROM chunks WHERE status <> 'failed' AND seq > $1 AND seq <= $2 ORDER BY seq`, [from, to])
      : [];
    return { states, appliedSeq, replay };
  });
}

/** Separators for packed rows; the validation keeps control characters out of every stored field. */
const UNIT = "chr(31)";
const RECORD = "chr(30)";

function* unpack(packed: string): Generator<string[]> {
  for (const record of packed.split("\u001e")) yield record.split("\u001f");
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
      `INSERT INTO pair_aggregates (partition, merchant, customer, txn_count, amount_cents, gender)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])
       ON CONFLICT (partition, merchant, customer) DO UPDATE SET txn_count = EXCLUDED.txn_count, amount_cents = EXCLUDED.amount_cents`,
      [rows.map((r) => r.partition), rows.map((r) => r.merchant), rows.map((r) => r.customer), rows.map((r) => r.n), rows.map((r) => r.cents), rows.map((r) => r.gender)],
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
