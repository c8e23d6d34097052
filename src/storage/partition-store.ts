import type { DataSource, EntityManager } from "typeorm";
import type { Match, PairRow } from "../state/partition-state";
import { PartitionState } from "../state/partition-state";
import { weightsVersion } from "./weights-store";

/** A commit lost the optimistic check: another node applied to one of the partitions since we loaded it. */
export class FencedOutError extends Error {
  override name = "FencedOutError";
}

/**
 * Loads partitions as committed, from one snapshot so that each partition's
 * applied sequence, aggregates and emitted detections agree.
 */
export async function loadPartitions(ds: DataSource, partitions: readonly number[]): Promise<Map<number, PartitionState>> {
  return ds.transaction("REPEATABLE READ", async (em) => {
    const ids = [...partitions];
    const weights = new Map<number, Map<string, Map<string, number>>>(ids.map((p) => [p, new Map()]));
    for (const w of await em.query(`SELECT partition, merchant, customer, weight FROM customer_weights WHERE partition = ANY($1)`, [ids])) {
      const byMerchant = weights.get(w.partition)!;
      let customers = byMerchant.get(w.merchant);
      if (!customers) byMerchant.set(w.merchant, (customers = new Map()));
      customers.set(w.customer, w.weight);
    }
    const version = await weightsVersion(em);
    const states = new Map<number, PartitionState>();
    for (const row of await em.query(`SELECT partition, applied_seq FROM partition_state WHERE partition = ANY($1)`, [ids])) {
      const byMerchant = weights.get(row.partition)!;
      states.set(row.partition, new PartitionState(row.partition, row.applied_seq, (m, c) => byMerchant.get(m)?.get(c), version));
    }
    const missing = ids.filter((p) => !states.has(p));
    if (missing.length > 0) throw new Error(`partition_state has no row for partition(s) ${missing.join(", ")}`);
    for (const r of await em.query(
      `SELECT partition, merchant, customer, txn_count, amount_cents, gender FROM pair_aggregates WHERE partition = ANY($1)`,
      [ids],
    )) {
      states.get(r.partition)!.restorePair({ merchant: r.merchant, customer: r.customer, n: r.txn_count, cents: r.amount_cents, gender: r.gender });
    }
    for (const d of await em.query(`SELECT partition, patternid, merchant, customer FROM detection_outbox WHERE partition = ANY($1)`, [ids])) {
      states.get(d.partition)!.markEmitted(d.patternid, d.merchant, d.customer);
    }
    return states;
  });
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
  readonly changed: ReadonlyArray<PairRow & { partition: number }>;
  readonly matches: ReadonlyArray<Match & { partition: number }>;
}

/** Commits a chunk's effect on some partitions atomically: fence, aggregates, detections. */
export async function commitChunk(ds: DataSource, c: ChunkCommit): Promise<void> {
  await ds.transaction(async (em) => {
    await advanceFence(em, c);
    if (c.changed.length > 0) {
      await em.query(
        `INSERT INTO pair_aggregates (partition, merchant, customer, txn_count, amount_cents, gender)
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::text[])
         ON CONFLICT (merchant, customer) DO UPDATE SET txn_count = EXCLUDED.txn_count, amount_cents = EXCLUDED.amount_cents`,
        [
          c.changed.map((r) => r.partition), c.changed.map((r) => r.merchant), c.changed.map((r) => r.customer),
          c.changed.map((r) => r.n), c.changed.map((r) => r.cents), c.changed.map((r) => r.gender),
        ],
      );
    }
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
  });
}

async function advanceFence(em: EntityManager, c: ChunkCommit): Promise<void> {
  const [{ advanced }] = await em.query(
    `WITH moved AS (
       UPDATE partition_state SET applied_seq = $1, owner = $2, updated_at = now()
       WHERE partition = ANY($3) AND applied_seq = $4 RETURNING 1)
     SELECT count(*)::int AS advanced FROM moved`,
    [c.seq, c.owner, [...c.partitions], c.prevSeq],
  );
  if (advanced !== c.partitions.length) {
    throw new FencedOutError(
      `chunk ${c.seq} (${c.chunkKey}): ${c.partitions.length - advanced} of ${c.partitions.length} partitions are no longer at chunk ${c.prevSeq}`,
    );
  }
}

