import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generate, type GeneratedFiles } from "../../src/demo/generator";
import { DETECTION_PREFIX } from "../../src/storage/object-store";
import { tempDir, type TestS3 } from "./infra";
import { chunkIndexOf, query } from "./pipeline";
import { BLACKLIST_REASON, detectionKey, referenceDetections, type ReferenceResult, type ReferenceThresholds } from "./reference";

/**
 * Scaled so that all patterns fire on a few tens of thousands of generated rows. The blacklist is
 * empty: a test that sets one passes it with `withBlacklist` (and gives the pipeline the same ids,
 * e.g. as `blacklistCsv`).
 */
export const SCALED_THRESHOLDS: ReferenceThresholds = {
  upgradeMinMerchantTxns: 3000,
  upgradeCountQuantile: "0.90",
  upgradeWeightQuantile: "0.10",
  childMinTxns: 20,
  childMaxAvgAmount: "23",
  deiMinFemaleCustomers: 10,
  highValueMinAmount: "250",
  anomalyMinHistory: 10,
  anomalyZ: "3",
  blacklist: [],
};
export const TEST_CHUNK_ROWS = 2000;
export const SCALED_ENV = {
  CHUNK_ROWS: String(TEST_CHUNK_ROWS),
  UPGRADE_MIN_MERCHANT_TXNS: String(SCALED_THRESHOLDS.upgradeMinMerchantTxns),
  CHILD_MIN_TXNS: String(SCALED_THRESHOLDS.childMinTxns),
  DEI_MIN_FEMALE_CUSTOMERS: String(SCALED_THRESHOLDS.deiMinFemaleCustomers),
  HIGH_VALUE_MIN_AMOUNT: SCALED_THRESHOLDS.highValueMinAmount,
  ANOMALY_MIN_HISTORY: String(SCALED_THRESHOLDS.anomalyMinHistory),
  ANOMALY_Z: SCALED_THRESHOLDS.anomalyZ,
};

/** The thresholds with this blacklist (customer or merchant ids) instead of theirs. */
export function withBlacklist(thresholds: ReferenceThresholds, ids: readonly string[]): ReferenceThresholds {
  return { ...thresholds, blacklist: [...ids] };
}

/** A blacklist file as the pipeline reads it (`--blacklist PATH`): header `id,reason`, one id a row. */
export function blacklistCsv(ids: readonly string[], reason = BLACKLIST_REASON): string {
  return ["id,reason", ...ids.map((id) => `${id},${reason}`)].join("\n") + "\n";
}

/** A detection's key, with the amount it carries (PatId4–6) as written. */
export const keyWithAmount = (d: Parameters<typeof detectionKey>[0] & { amount?: string | null }): string =>
  d.line === undefined ? detectionKey(d) : `${detectionKey(d)}|${d.amount}`;

export async function detectionsInDb(databaseUrl: string): Promise<string[]> {
  const rows = await query<{ patternid: string; customer: string; merchant: string; chunk: string; line: number | null; amount: string | null }>(
    databaseUrl,
    `SELECT patternid, customer, merchant, chunk, line, amount::text AS amount FROM pattern_detections`,
  );
  return rows
    .map((r) =>
      keyWithAmount({
        patternId: r.patternid,
        customer: r.customer,
        merchant: r.merchant,
        chunkIndex: chunkIndexOf(r.chunk),
        line: r.line ?? undefined,
        amount: r.amount,
      }),
    )
    .sort();
}

/** An explanation as JSON with its keys sorted (jsonb keeps its own key order). */
const canonical = (explanation: object | null | undefined): string =>
  explanation ? JSON.stringify(Object.fromEntries(Object.entries(explanation).sort(([a], [b]) => (a < b ? -1 : 1)))) : String(explanation);

/** Each detection in pattern_detections as its detectionKey and its explanation. */
async function explanationsInDb(databaseUrl: string): Promise<string[]> {
  const rows = await query<{ patternid: string; customer: string; merchant: string; chunk: string; line: number | null; explanation: object }>(
    databaseUrl,
    `SELECT patternid, customer, merchant, chunk, line, explanation FROM pattern_detections`,
  );
  return rows
    .map((r) => {
      const key = detectionKey({
        patternId: r.patternid,
        customer: r.customer,
        merchant: r.merchant,
        chunkIndex: chunkIndexOf(r.chunk),
        line: r.line ?? undefined,
      });
      return `${key} ${canonical(r.explanation)}`;
    })
    .sort();
}

/**
 * Both sinks hold exactly the reference detections, PatId4–6 with their amounts, and the database
 * each with the reference's explanation; S3 files have the header and 50 rows (the last may have fewer).
 */
export async function expectExactResult(databaseUrl: string, s3: TestS3, reference: ReferenceResult): Promise<void> {
  const expected = reference.detections.map(keyWithAmount).sort();
  expect(await detectionsInDb(databaseUrl)).toEqual(expected);
  const explained = reference.detections.map((d) => `${detectionKey(d)} ${canonical(reference.explanations.get(detectionKey(d)))}`).sort();
  expect(await explanationsInDb(databaseUrl)).toEqual(explained);
  // The counts the stats read, kept by the moves into pattern_detections, crashes or not.
  const perPattern: Record<string, number> = {};
  for (const d of reference.detections) perPattern[d.patternId] = (perPattern[d.patternId] ?? 0) + 1;
  const counted = await query<{ patternid: string; n: number }>(databaseUrl, `SELECT patternid, n::int FROM detection_counts`);
  expect(Object.fromEntries(counted.map((r) => [r.patternid, r.n]))).toEqual(perPattern);

  const keys = await s3.store.listKeys(DETECTION_PREFIX);
  const files = await Promise.all(keys.map(async (k) => (await s3.store.readText(k)).trim().split("\n")));
  const inFiles: string[] = [];
  files.forEach((lines, i) => {
    expect(lines[0]).toBe("YStartTime,detectionTime,patternId,ActionType,customerName,MerchantId,chunk,amount,line");
    if (i < files.length - 1) expect(lines.length - 1).toBe(50);
    for (const line of lines.slice(1)) {
      const [ystart, detected, patternId, , customer, merchant, chunk, amount, row] = line.split(",");
      expect(ystart).toMatch(/\+05:30$/);
      expect(detected).toMatch(/\+05:30$/);
      expect(row).toMatch(/^\d*$/); // empty for PatId1–3
      inFiles.push(keyWithAmount({ patternId, customer, merchant, chunkIndex: chunkIndexOf(chunk), line: row ? Number(row) : undefined, amount }));
    }
  });
  expect(inFiles.sort()).toEqual(expected);
}

/** The persisted aggregates (after a clean stop checkpointed them) are n(c,m) and the exact amount sums of the reference. */
export async function expectExactAggregates(databaseUrl: string, reference: ReferenceResult): Promise<void> {
  const rows = await query<{ merchant: string; customer: string; n: number; amount: string }>(
    databaseUrl,
    `SELECT merchant, customer, txn_count AS n, trim_scale(amount_sum)::text AS amount FROM pair_aggregates`,
  );
  expect(new Map(rows.map((r) => [`${r.merchant}|${r.customer}`, { n: r.n, amount: r.amount }]))).toEqual(reference.aggregates);
}

/**
 * A blacklist for generated data: the customer of the 3rd data row and the merchant of the 10th,
 * written as a file in `dir`; the reference thresholds and the pipeline's BLACKLIST to go with it.
 */
export function scaledBlacklist(transactionsFile: string, dir: string): { thresholds: ReferenceThresholds; env: Record<string, string> } {
  const [header, ...rows] = readFileSync(transactionsFile, "utf8").split("\n", 12);
  const unquote = (f: string): string => f.trim().replace(/^['"](.*)['"]$/, "$1");
  const column = (name: string): number => header.split(",").map(unquote).indexOf(name);
  const ids = [unquote(rows[2].split(",")[column("customer")]), unquote(rows[9].split(",")[column("merchant")])];
  const file = path.join(dir, "blacklist.csv");
  writeFileSync(file, blacklistCsv(ids));
  return { thresholds: withBlacklist(SCALED_THRESHOLDS, ids), env: { ...SCALED_ENV, BLACKLIST: file } };
}

/** Exact sum of plain decimal strings, without trailing zeros ("0" for none). */
function decimalSum(amounts: Iterable<string>): string {
  let scale = 0;
  const list = [...amounts];
  for (const a of list) scale = Math.max(scale, a.includes(".") ? a.length - a.indexOf(".") - 1 : 0);
  const total = list.reduce((sum, a) => {
    const [whole, frac = ""] = a.split(".");
    return sum + BigInt(whole + frac.padEnd(scale, "0"));
  }, 0n);
  const digits = total.toString().padStart(scale + 1, "0");
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

/** `transaction_stats` adds up to the reference: every valid transaction and amount, and what PatId4–6 flagged. */
export async function expectExactStats(databaseUrl: string, reference: ReferenceResult): Promise<void> {
  const [stats] = await query<Record<string, string>>(
    databaseUrl,
    `SELECT sum(transactions)::text AS transactions, trim_scale(sum(amount))::text AS amount, sum(flagged)::text AS flagged,
            trim_scale(sum(flagged_amount))::text AS "flaggedAmount", sum(high_value)::text AS "highValue", sum(blacklisted)::text AS blacklisted,
            trim_scale(sum(blacklisted_amount))::text AS "blacklistedAmount", sum(anomaly)::text AS anomaly, count(DISTINCT chunk_seq)::text AS chunks
     FROM transaction_stats`,
  );
  const pairs = [...reference.aggregates.values()];
  const byRow = new Map<string, string>();
  const ofPattern = (p: string) => reference.detections.filter((d) => d.patternId === p);
  for (const d of reference.detections) if (d.line !== undefined) byRow.set(`${d.chunkIndex}|${d.line}`, d.amount!);
  expect(stats).toEqual({
    transactions: String(pairs.reduce((n, a) => n + a.n, 0)),
    amount: decimalSum(pairs.map((a) => a.amount)),
    flagged: String(byRow.size),
    flaggedAmount: decimalSum(byRow.values()),
    highValue: String(ofPattern("PatId4").length),
    blacklisted: String(ofPattern("PatId5").length),
    blacklistedAmount: decimalSum(ofPattern("PatId5").map((d) => d.amount!)),
    anomaly: String(ofPattern("PatId6").length),
    chunks: String(reference.chunks),
  });
}

/** What an end-to-end test compares the pipeline with: generated data, its blacklist (scaledBlacklist) and the reference's result at the scaled thresholds. */
export interface ScaledCase {
  readonly files: GeneratedFiles;
  readonly blacklist: { readonly thresholds: ReferenceThresholds; readonly env: Record<string, string> };
  readonly reference: ReferenceResult;
}

/** Generated data of 300 customers at 12 merchants, in chunks of TEST_CHUNK_ROWS, with a blacklist of one customer and one merchant. */
export async function scaledCase(rows: number, seed: number, dirty: number): Promise<ScaledCase> {
  const dir = tempDir();
  const files = await generate({ rows, seed, outDir: dir, dirty, customers: 300, merchants: 12 });
  const blacklist = scaledBlacklist(files.transactions, dir);
  const reference = referenceDetections(
    readFileSync(files.transactions, "utf8"),
    readFileSync(files.importance, "utf8"),
    TEST_CHUNK_ROWS,
    blacklist.thresholds,
  );
  return { files, blacklist, reference };
}
