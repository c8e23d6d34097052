import { decimalOf, formatDecimal, type Decimal } from "../decimal";
import { selectRows, type SqlRunner } from "./sql";

/** One customer-merchant aggregate as it is persisted. */
export interface PairAggregate {
  readonly merchant: string;
  readonly customer: string;
  readonly n: number;
  /** Sum of the amounts, exact. */
  readonly amount: Decimal;
  readonly gender: string;
}

export type PartitionPairAggregate = PairAggregate & { readonly partition: number };

/** What a checkpoint persists of one partition. */
export interface PartitionCheckpoint {
  readonly partition: number;
  /** `pairs` are all of the partition's aggregates, and the log rows before this one go; otherwise only those changed since its last checkpoint. */
  readonly fullSet: boolean;
  readonly pairs: readonly PairAggregate[];
}

export interface LoggedPairs {
  /** Each pair's latest aggregate. */
  readonly pairs: PartitionPairAggregate[];
  /** Per partition, the pairs its log rows hold (repeats included): what a load reads back. */
  readonly logged: Map<number, number>;
}

// Validation keeps control characters out of ids and genders, so these never occur in a field.
const PAIR_SEPARATOR = "\u001e";
const FIELD_SEPARATOR = "\u001f";

/** Appends the partitions' checkpoints as of chunk `seq` to their logs; a full set drops the rows before it. */
export async function appendPairCheckpoints(db: SqlRunner, checkpoints: readonly PartitionCheckpoint[], seq: number): Promise<void> {
  const written = checkpoints.filter((c) => c.pairs.length > 0);
  if (written.length > 0) {
    await db.query(
      `INSERT INTO pair_checkpoints (partition, seq, full_set, pair_count, pairs)
       SELECT p, $1, f, n, t FROM unnest($2::int[], $3::boolean[], $4::int[], $5::text[]) AS x(p, f, n, t)`,
      [seq, written.map((c) => c.partition), written.map((c) => c.fullSet), written.map((c) => c.pairs.length), written.map((c) => packPairs(c.pairs))],
    );
  }
  const full = checkpoints.filter((c) => c.fullSet).map((c) => c.partition);
  if (full.length > 0) await db.query(`DELETE FROM pair_checkpoints WHERE partition = ANY($1) AND seq < $2`, [full, seq]);
}

/** The partitions' checkpointed aggregates: their log rows folded in order, a later value of a pair replacing an earlier one. */
export async function readPairCheckpoints(db: SqlRunner, partitions: readonly number[]): Promise<LoggedPairs> {
  const rows = await selectRows<{ partition: number; fullSet: boolean; pairs: string }>(
    db,
    `SELECT partition, full_set AS "fullSet", pairs FROM pair_checkpoints WHERE partition = ANY($1) ORDER BY partition, seq`,
    [[...partitions]],
  );
  const latest = new Map<number, Map<string, PartitionPairAggregate>>();
  const logged = new Map<number, number>();
  for (const row of rows) {
    let pairs = latest.get(row.partition);
    if (!pairs || row.fullSet) latest.set(row.partition, (pairs = new Map<string, PartitionPairAggregate>()));
    const unpacked = unpackPairs(row.partition, row.pairs);
    for (const pair of unpacked) pairs.set(`${pair.merchant}${FIELD_SEPARATOR}${pair.customer}`, pair);
    logged.set(row.partition, (row.fullSet ? 0 : (logged.get(row.partition) ?? 0)) + unpacked.length);
  }
  return { pairs: [...latest.values()].flatMap((pairs) => [...pairs.values()]), logged };
}

function packPairs(pairs: readonly PairAggregate[]): string {
  return pairs
    .map((p) => `${p.merchant}${FIELD_SEPARATOR}${p.customer}${FIELD_SEPARATOR}${p.n}${FIELD_SEPARATOR}${formatDecimal(p.amount)}${FIELD_SEPARATOR}${p.gender}`)
    .join(PAIR_SEPARATOR);
}

function unpackPairs(partition: number, text: string): PartitionPairAggregate[] {
  return text.split(PAIR_SEPARATOR).map((packed) => {
    const [merchant, customer, n, amount, gender] = packed.split(FIELD_SEPARATOR);
    if (gender === undefined) throw new Error(`pair_checkpoints of partition ${partition}: a pair has fewer than 5 fields`);
    return { partition, merchant, customer, n: Number(n), amount: decimalOf(amount, "pair_checkpoints amount"), gender };
  });
}
