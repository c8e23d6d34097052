/**
 * The plain-PostgreSQL pipeline of the original design, as the bench's peer:
 * each chunk of the source is COPYed into a staging table, the aggregates are
 * upserted, and all six patterns run as SQL in the chunk's transaction:
 * PatId1–3 on the cumulative aggregates after the chunk, PatId4–6 on each of
 * its rows against the customer's earlier rows. A benchmark tool, not part of
 * the product.
 */
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Client } from "pg";
import { readImportance } from "../csv/importance";
import { locateColumns } from "../csv/fields";
import { DEFAULT_MAX_RECORD_BYTES, forEachRecord, type CsvRecord } from "../csv/records";
import { checkTransaction, TRANSACTION_COLUMNS, type Transaction } from "../csv/transactions";
import type { PatternThresholds } from "../patterns";
import { copyRows } from "../storage/copy";

/** What the peer did, and its wall time for the whole file (importance file included). */
export interface PeerRun {
  readonly rows: number;
  readonly chunks: number;
  readonly seconds: number;
  readonly detections: Record<string, number>;
}

export interface PeerInputs {
  readonly databaseUrl: string;
  readonly source: string;
  readonly importance: string;
  readonly chunkRows: number;
  readonly thresholds: PatternThresholds;
}

const SCHEMA = `
  CREATE UNLOGGED TABLE staging (line int, customer text, merchant text, gender text, amount numeric, amount_text text);
  CREATE UNLOGGED TABLE importance_rows (line bigint, customer text, merchant text, weight float8);
  CREATE TABLE weights (merchant text, customer text, weight float8, PRIMARY KEY (merchant, customer));
  CREATE TABLE pairs (merchant text, customer text, n bigint, amount numeric, gender text, PRIMARY KEY (merchant, customer));
  CREATE TABLE merchants (merchant text PRIMARY KEY, n bigint);
  CREATE TABLE detections (pattern text, customer text, merchant text, chunk int, PRIMARY KEY (pattern, customer, merchant));
  CREATE TABLE blacklist (id text PRIMARY KEY);
  CREATE TABLE customer_moments (customer text PRIMARY KEY, n bigint, s numeric, q numeric);
  CREATE TABLE row_detections (pattern text, chunk int, line int, customer text, merchant text, amount text, PRIMARY KEY (pattern, chunk, line));
`;

const APPLY_CHUNK = `
  INSERT INTO pairs (merchant, customer, n, amount, gender)
  SELECT merchant, customer, count(*), sum(amount), (array_agg(gender ORDER BY line))[1] FROM staging GROUP BY merchant, customer
  ON CONFLICT (merchant, customer) DO UPDATE SET n = pairs.n + EXCLUDED.n, amount = pairs.amount + EXCLUDED.amount;
  INSERT INTO merchants (merchant, n) SELECT merchant, count(*) FROM staging GROUP BY merchant
  ON CONFLICT (merchant) DO UPDATE SET n = merchants.n + EXCLUDED.n;
`;

// Only merchants and pairs the chunk touched can start matching; the others' state did not change.
const PATTERNS = `
  WITH touched AS (SELECT DISTINCT merchant FROM staging),
  big AS (SELECT m.merchant FROM merchants m JOIN touched USING (merchant) WHERE m.n > $1),
  thresholds AS (
    SELECT p.merchant, percentile_cont($2::float8) WITHIN GROUP (ORDER BY p.n) AS tn, percentile_cont($3::float8) WITHIN GROUP (ORDER BY w.weight) AS tw
    FROM pairs p JOIN big USING (merchant) LEFT JOIN weights w USING (merchant, customer)
    GROUP BY p.merchant)
  INSERT INTO detections (pattern, customer, merchant, chunk)
  SELECT 'PatId1', p.customer, p.merchant, $6::int FROM pairs p JOIN thresholds t USING (merchant) JOIN weights w USING (merchant, customer)
  WHERE p.n >= t.tn AND w.weight <= t.tw
  UNION ALL
  SELECT 'PatId2', p.customer, p.merchant, $6::int FROM pairs p JOIN (SELECT DISTINCT merchant, customer FROM staging) s USING (merchant, customer)
  WHERE p.n >= $4 AND p.amount < $5::numeric * p.n
  UNION ALL
  SELECT 'PatId3', '', p.merchant, $6::int FROM pairs p JOIN touched USING (merchant) GROUP BY p.merchant
  HAVING count(*) FILTER (WHERE p.gender = 'F') > $7 AND count(*) FILTER (WHERE p.gender = 'F') < count(*) FILTER (WHERE p.gender = 'M')
  ON CONFLICT DO NOTHING
`;

// PatId4–6 judge each row of the chunk; ANOMALY against the customer's earlier rows: those of the
// chunks before (customer_moments) and those above it in this chunk. Numeric arithmetic is exact.
const ROW_RULES = `
  WITH earlier AS (
    SELECT s.line, s.customer, s.merchant, s.amount, s.amount_text,
      coalesce(m.n, 0) + count(*) OVER w AS n,
      coalesce(m.s, 0) + coalesce(sum(s.amount) OVER w, 0) AS s,
      coalesce(m.q, 0) + coalesce(sum(s.amount * s.amount) OVER w, 0) AS q
    FROM staging s LEFT JOIN customer_moments m USING (customer)
    WINDOW w AS (PARTITION BY s.customer ORDER BY s.line ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)),
  above AS (SELECT e.*, e.n * e.amount - e.s AS d FROM earlier e)
  INSERT INTO row_detections (pattern, chunk, line, customer, merchant, amount)
  SELECT 'PatId4', $1::int, line, customer, merchant, amount_text FROM staging WHERE amount >= $2::numeric
  UNION ALL
  SELECT 'PatId5', $1::int, line, customer, merchant, amount_text FROM staging
  WHERE customer IN (SELECT id FROM blacklist) OR merchant IN (SELECT id FROM blacklist)
  UNION ALL
  SELECT 'PatId6', $1::int, line, customer, merchant, amount_text FROM above
  WHERE n >= $3 AND d > 0 AND d * d > $4::numeric * $4::numeric * (n * q - s * s)
`;

// Then the chunk's rows are history for the customers' later rows.
const ADD_MOMENTS = `
  INSERT INTO customer_moments (customer, n, s, q) SELECT customer, count(*), sum(amount), sum(amount * amount) FROM staging GROUP BY customer
  ON CONFLICT (customer) DO UPDATE SET n = customer_moments.n + EXCLUDED.n, s = customer_moments.s + EXCLUDED.s, q = customer_moments.q + EXCLUDED.q
`;

/** Runs the peer on a fresh, empty database. */
export async function runPeer(inputs: PeerInputs): Promise<PeerRun> {
  const started = Date.now();
  const db = new Client({ connectionString: inputs.databaseUrl });
  await db.connect();
  try {
    await db.query(SCHEMA);
    await loadImportance(db, inputs.importance);
    const t = inputs.thresholds;
    await db.query(`INSERT INTO blacklist SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, [t.blacklist.map((b) => b.id)]);
    let chunks = 0;
    let rows = 0;
    const applyChunk = async (valid: readonly Transaction[]): Promise<void> => {
      await db.query("BEGIN");
      await db.query("TRUNCATE staging");
      await copyRows(
        db,
        "COPY staging (line, customer, merchant, gender, amount, amount_text) FROM STDIN",
        valid.map((r) => [String(r.line), r.customer, r.merchant, r.gender, r.amount, r.amount]),
      );
      await db.query(APPLY_CHUNK);
      await db.query(ROW_RULES, [chunks, t.highValueMinAmount, t.anomalyMinHistory, t.anomalyZ]);
      await db.query(ADD_MOMENTS);
      await db.query(PATTERNS, [
        t.upgradeMinMerchantTxns,
        t.upgradeCountQuantile.text,
        t.upgradeWeightQuantile.text,
        t.childMinTxns,
        t.childMaxAvgAmount,
        chunks,
        t.deiMinFemaleCustomers,
      ]);
      await db.query("COMMIT");
      chunks++;
    };
    await forEachChunk(inputs.source, inputs.chunkRows, async (chunk) => {
      rows += chunk.records;
      await applyChunk(chunk.valid);
    });
    const counted = await db.query<{ pattern: string; n: number }>(
      `SELECT pattern, count(*)::int AS n FROM (SELECT pattern FROM detections UNION ALL SELECT pattern FROM row_detections) d GROUP BY pattern ORDER BY pattern`,
    );
    return { rows, chunks, seconds: (Date.now() - started) / 1000, detections: Object.fromEntries(counted.rows.map((r) => [r.pattern, r.n])) };
  } finally {
    await db.end();
  }
}

export interface PeerDetection {
  readonly patternId: string;
  readonly customer: string;
  readonly merchant: string;
  /** 0-based index of the chunk after which it first matched (PatId1–3), or that holds the row (PatId4–6). */
  readonly chunkIndex: number;
  /** PatId4–6 only: the row's line in its chunk object (the header is line 1). */
  readonly line?: number;
  /** PatId4–6 only: the amount as written. */
  readonly amount?: string;
}

export async function peerDetections(databaseUrl: string): Promise<PeerDetection[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const once = await db.query<PeerDetection>(`SELECT pattern AS "patternId", customer, merchant, chunk AS "chunkIndex" FROM detections`);
    const perRow = await db.query<PeerDetection>(
      `SELECT pattern AS "patternId", customer, merchant, chunk AS "chunkIndex", line, amount FROM row_detections ORDER BY chunk, line, pattern`,
    );
    return [...once.rows, ...perRow.rows];
  } finally {
    await db.end();
  }
}

/** The importance file, COPYed in once; a pair's weight is its mean, summed in file order as the pipeline does. */
async function loadImportance(db: Client, file: string): Promise<void> {
  await readImportance(createReadStream(file), 50_000, (rows) =>
    copyRows(
      db,
      "COPY importance_rows (line, customer, merchant, weight) FROM STDIN",
      rows.map((r) => [String(r.line), r.customer, r.merchant, String(r.weight)]),
    ),
  );
  await db.query(`INSERT INTO weights SELECT merchant, customer, sum(weight ORDER BY line) / count(*) FROM importance_rows GROUP BY merchant, customer`);
}

interface Chunk {
  /** Records in the chunk, valid or not (the chunker cuts by records). */
  records: number;
  readonly valid: Transaction[];
}

/**
 * Cuts the source into chunks of `chunkRows` records as the chunker does and
 * hands over each chunk's valid rows (SPEC.md validity, the pipeline's own
 * check); the file is read on only while the previous chunk is applied.
 */
async function forEachChunk(file: string, chunkRows: number, onChunk: (chunk: Chunk) => Promise<void>): Promise<void> {
  const ready: Chunk[] = [];
  let current: Chunk = { records: 0, valid: [] };
  let columns: Record<(typeof TRANSACTION_COLUMNS)[number], number> | undefined;
  const drain = async (): Promise<void> => {
    for (let chunk = ready.shift(); chunk; chunk = ready.shift()) await onChunk(chunk);
  };
  async function* pieces(): AsyncGenerator<Buffer> {
    for await (const piece of createReadStream(file)) {
      await drain();
      yield piece as Buffer;
    }
  }
  // A chunk object is the header line, then the source from the line after the previous chunk's last
  // record; bodyStart is that source line (1-based). A record's last line is its first plus the line
  // breaks in its text (a record that cannot be parsed is its first line only).
  let bodyStart = 0;
  const lastLine = (record: CsvRecord): number => record.line + (record.error === undefined ? record.text.split("\n").length - 1 : 0);
  const onRecord = (record: CsvRecord): void => {
    if (!columns) {
      if (record.error !== undefined) throw new Error(`${file}: header on line ${record.line}: ${record.error}`);
      columns = locateColumns(record.fields, TRANSACTION_COLUMNS);
      bodyStart = lastLine(record) + 1;
      return;
    }
    const line = record.line - bodyStart + 2;
    const checked = record.error === undefined ? checkTransaction(record.fields, columns, line) : undefined;
    if (checked && "txn" in checked) current.valid.push(checked.txn);
    if (++current.records === chunkRows) {
      ready.push(current);
      current = { records: 0, valid: [] };
      bodyStart = lastLine(record) + 1;
    }
  };
  await forEachRecord(Readable.from(pieces(), { objectMode: false, highWaterMark: 1 }), DEFAULT_MAX_RECORD_BYTES, onRecord);
  if (current.records > 0) ready.push(current);
  await drain();
}
