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

/** One customer's history (every transaction at any merchant) as it is persisted. */
export interface PartitionCustomerHistory {
  readonly partition: number;
  readonly customer: string;
  readonly n: number;
  readonly sum: Decimal;
  readonly sumSquares: Decimal;
}

/** What a checkpoint persists of one partition. */
export interface PartitionCheckpoint {
  readonly partition: number;
  /** `pairs` are all of the partition's aggregates, and the log rows before this one go; otherwise only those changed since its last checkpoint. */
  readonly fullSet: boolean;
  readonly pairs: PackedPairs;
  /** Customers' histories, full or changed like `pairs`. */
  readonly histories: PackedHistories;
}

export interface LoggedPairs {
  /** Each partition's checkpointed pairs in log order since its last full set: a later entry of a pair replaces an earlier one. */
  readonly pairs: PartitionPairAggregate[];
  /** Each partition's checkpointed customer histories, likewise in log order. */
  readonly histories: PartitionCustomerHistory[];
  /** Per partition, the entries (pairs and histories) its log holds since its last full set: what a load reads back. */
  readonly logged: Map<number, number>;
}

// Validation keeps control characters out of ids and genders, so these never occur in a field.
const PAIR_SEPARATOR = "\u001e";
const FIELD_SEPARATOR = "\u001f";

/**
 * Pairs packed one by one as a checkpoint row holds them: the aggregates are
 * written out as they are when packed, with no object per pair in between.
 */
export class PackedPairs {
  private readonly packed: string[] = [];

  get count(): number {
    return this.packed.length;
  }

  get text(): string {
    return this.packed.join(PAIR_SEPARATOR);
  }

  add(merchant: string, customer: string, n: number, amount: Decimal, gender: string): void {
    this.packed.push(merchant + FIELD_SEPARATOR + customer + FIELD_SEPARATOR + n + FIELD_SEPARATOR + formatDecimal(amount) + FIELD_SEPARATOR + gender);
  }
}

/** Customers' histories packed like PackedPairs: customer, n, sum, sum of squares. */
export class PackedHistories {
  private readonly packed: string[] = [];

  get count(): number {
    return this.packed.length;
  }

  get text(): string {
    return this.packed.join(PAIR_SEPARATOR);
  }

  add(h: { readonly customer: string; readonly n: number; readonly sum: Decimal; readonly sumSquares: Decimal }): void {
    this.packed.push(h.customer + FIELD_SEPARATOR + h.n + FIELD_SEPARATOR + formatDecimal(h.sum) + FIELD_SEPARATOR + formatDecimal(h.sumSquares));
  }
}

/**
 * Appends the partitions' checkpoints as of chunk `seq` to their logs; a full
 * set drops the rows before it. A partition may already have a row at `seq`:
 * nodes stopping together can each checkpoint a partition one took over from
 * the other. That row, with the rows before it, already gives the state at
 * `seq`, so it stays, and this node's full set drops nothing it may rest on.
 */
export async function appendPairCheckpoints(db: SqlRunner, checkpoints: readonly PartitionCheckpoint[], seq: number): Promise<void> {
  const hasEntries = (c: PartitionCheckpoint): boolean => c.pairs.count > 0 || c.histories.count > 0;
  const written = checkpoints.filter(hasEntries);
  const inserted = new Set<number>();
  if (written.length > 0) {
    const rows = await selectRows<{ partition: number }>(
      db,
      `INSERT INTO pair_checkpoints (partition, seq, full_set, pair_count, pairs, history_count, histories)
       SELECT p, $1, f, n, t, hn, ht FROM unnest($2::int[], $3::boolean[], $4::int[], $5::text[], $6::int[], $7::text[]) AS x(p, f, n, t, hn, ht)
       ON CONFLICT (partition, seq) DO NOTHING
       RETURNING partition`,
      [
        seq,
        written.map((c) => c.partition),
        written.map((c) => c.fullSet),
        written.map((c) => c.pairs.count),
        written.map((c) => c.pairs.text),
        written.map((c) => c.histories.count),
        written.map((c) => c.histories.text),
      ],
    );
    for (const r of rows) inserted.add(r.partition);
  }
  const full = checkpoints.filter((c) => c.fullSet && (!hasEntries(c) || inserted.has(c.partition))).map((c) => c.partition);
  if (full.length > 0) await db.query(`DELETE FROM pair_checkpoints WHERE partition = ANY($1) AND seq < $2`, [full, seq]);
}

/** The partitions' checkpoint logs since their last full sets, entries in order (folding them is the loader's: it keeps the latest of each pair). */
export async function readPairCheckpoints(db: SqlRunner, partitions: readonly number[]): Promise<LoggedPairs> {
  const rows = await selectRows<{ partition: number; fullSet: boolean; pairs: string; histories: string }>(
    db,
    `SELECT partition, full_set AS "fullSet", pairs, histories FROM pair_checkpoints WHERE partition = ANY($1) ORDER BY partition, seq`,
    [[...partitions]],
  );
  const byPartition = new Map<number, { pairs: PartitionPairAggregate[]; histories: PartitionCustomerHistory[] }>();
  for (const row of rows) {
    let entries = byPartition.get(row.partition);
    // A full set deletes the rows before it in its own transaction, so none should be there.
    if (!entries || row.fullSet) byPartition.set(row.partition, (entries = { pairs: [], histories: [] }));
    unpackPairs(row.partition, row.pairs, entries.pairs);
    unpackHistories(row.partition, row.histories, entries.histories);
  }
  const logs = [...byPartition.values()];
  return {
    pairs: logs.flatMap((e) => e.pairs),
    histories: logs.flatMap((e) => e.histories),
    logged: new Map([...byPartition].map(([p, e]) => [p, e.pairs.length + e.histories.length])),
  };
}

/** Appends the pairs packed in `text` to `into`, slicing each field out of the text rather than splitting it twice. */
export function unpackPairs(partition: number, text: string, into: PartitionPairAggregate[]): void {
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf(PAIR_SEPARATOR, at);
    if (end === -1) end = text.length;
    const f1 = text.indexOf(FIELD_SEPARATOR, at);
    const f2 = text.indexOf(FIELD_SEPARATOR, f1 + 1);
    const f3 = text.indexOf(FIELD_SEPARATOR, f2 + 1);
    const f4 = text.indexOf(FIELD_SEPARATOR, f3 + 1);
    if (f1 === -1 || f4 === -1 || f4 > end) throw new Error(`pair_checkpoints of partition ${partition}: a pair has fewer than 5 fields`);
    into.push({
      partition,
      merchant: text.slice(at, f1),
      customer: text.slice(f1 + 1, f2),
      n: Number(text.slice(f2 + 1, f3)),
      amount: decimalOf(text.slice(f3 + 1, f4), "pair_checkpoints amount"),
      gender: text.slice(f4 + 1, end),
    });
    at = end + 1;
  }
}

/** Appends the customer histories packed in `text` to `into`. */
function unpackHistories(partition: number, text: string, into: PartitionCustomerHistory[]): void {
  if (text === "") return;
  for (const packed of text.split(PAIR_SEPARATOR)) {
    const f = packed.split(FIELD_SEPARATOR);
    if (f.length !== 4) throw new Error(`pair_checkpoints of partition ${partition}: a customer history has ${f.length} fields, not 4`);
    into.push({
      partition,
      customer: f[0],
      n: Number(f[1]),
      sum: decimalOf(f[2], "pair_checkpoints history sum"),
      sumSquares: decimalOf(f[3], "pair_checkpoints history sum of squares"),
    });
  }
}
