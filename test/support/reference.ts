/**
 * SPEC.md as a brute force, written apart from the pipeline's code: it
 * re-reads the source by hand, and after every chunk recomputes every
 * aggregate from scratch over all rows so far. The transaction rules (PatId4–6)
 * judge each valid row in stream order against the customer's earlier valid
 * rows (kept as exact n, sum and sum of squares, rescaled to the finest scale).
 */

export interface ReferenceThresholds {
  readonly upgradeMinMerchantTxns: number;
  readonly upgradeCountQuantile: string;
  readonly upgradeWeightQuantile: string;
  readonly childMinTxns: number;
  readonly childMaxAvgAmount: string;
  readonly deiMinFemaleCustomers: number;
  /** PatId4: amount >= this, plain decimal text. */
  readonly highValueMinAmount: string;
  /** PatId6: earlier valid transactions of the customer needed before it can fire. */
  readonly anomalyMinHistory: number;
  /** PatId6: Z, plain decimal text (may have decimals, e.g. "3.5"). */
  readonly anomalyZ: string;
  /** PatId5: customer or merchant ids, each listed with the reason BLACKLIST_REASON. */
  readonly blacklist: readonly string[];
}

/** The reason the tests list every blacklisted id with. */
export const BLACKLIST_REASON = "test";

/**
 * The figures of a detection, by SPEC.md's symbols (docs/rules.md): counts as
 * integers, amounts as written, anything divided or rooted from amounts as
 * text with 6 decimals cut off (never reading higher than it is), weights
 * (doubles) with 6 decimals to the nearest.
 */
export type ReferenceExplanation = Record<string, string | number | null>;

export const SPEC_DEFAULTS: ReferenceThresholds = {
  upgradeMinMerchantTxns: 50_000,
  upgradeCountQuantile: "0.90",
  upgradeWeightQuantile: "0.10",
  childMinTxns: 80,
  childMaxAvgAmount: "23",
  deiMinFemaleCustomers: 100,
  highValueMinAmount: "5000",
  anomalyMinHistory: 20,
  anomalyZ: "4",
  blacklist: [],
};

export interface ReferenceDetection {
  readonly patternId: string;
  readonly customer: string;
  readonly merchant: string;
  readonly chunkIndex: number;
  /** PatId4–6 only: the row's line in its chunk object (the header is line 1), as in badRows. */
  readonly line?: number;
  /** PatId4–6 only: the amount text as written (after unquoting). */
  readonly amount?: string;
}

export interface ReferenceResult {
  readonly detections: ReferenceDetection[];
  /** Invalid rows as (chunk index, line in the chunk object). */
  readonly badRows: Array<{ chunkIndex: number; line: number }>;
  readonly chunks: number;
  /** n(c,m) and the exact sum of amounts (no trailing zeros) after the last chunk, by `merchant|customer`. */
  readonly aggregates: Map<string, { n: number; amount: string }>;
  /** Each detection's figures, by its detectionKey. */
  readonly explanations: Map<string, ReferenceExplanation>;
}

interface Row {
  readonly customer: string;
  readonly merchant: string;
  readonly gender: string;
  readonly amount: Amount;
  /** The amount text as written, after unquoting. */
  readonly amountText: string;
}

/** digits × 10^-scale, as written. */
interface Amount {
  readonly digits: bigint;
  readonly scale: number;
}

const strip = (s: string): string => {
  const t = s.trim();
  return t.length >= 2 && (t[0] === "'" || t[0] === '"') && t[t.length - 1] === t[0] ? t.slice(1, -1) : t;
};

function amount(text: string): Amount | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || m[1].length + (m[2]?.length ?? 0) > 1000) return null; // the documented limit: 1,000 digits
  const frac = m[2] ?? "";
  return { digits: BigInt(m[1] + frac), scale: frac.length };
}

/** An amount as an integer at a finer scale. */
const atScale = (a: Amount, scale: number): bigint => a.digits * 10n ** BigInt(scale - a.scale);

const finestScale = (rows: readonly Row[], atLeast: number): number => rows.reduce((max, r) => Math.max(max, r.amount.scale), atLeast);

/** Plain decimal text of digits × 10^-scale, without trailing zeros. */
function plain(digits: bigint, scale: number): string {
  const text = digits.toString().padStart(scale + 1, "0");
  const whole = text.slice(0, text.length - scale);
  const frac = text.slice(text.length - scale).replace(/0+$/, "");
  return frac === "" ? whole : `${whole}.${frac}`;
}

function parseRow(fields: string[], col: Map<string, number>, width: number): Row | null {
  if (fields.length !== width) return null;
  const get = (name: string) => strip(fields[col.get(name)!]);
  if (!/^\d+$/.test(get("step"))) return null;
  if (get("customer") === "" || get("merchant") === "") return null;
  // docs/rules.md: ids of at most 256 bytes, without control characters.
  if (["customer", "merchant", "gender"].some((name) => Buffer.byteLength(get(name)) > 256 || /[\x00-\x08\x0a-\x1f]/.test(get(name)))) return null;
  const value = amount(get("amount"));
  if (value === null) return null;
  if (get("fraud") !== "0" && get("fraud") !== "1") return null;
  return { customer: get("customer"), merchant: get("merchant"), gender: get("gender"), amount: value, amountText: get("amount") };
}

const MILLION = 1_000_000n;

/** A non-negative integer count of millionths as text with 6 decimals. */
const millionths = (units: bigint): string => {
  const text = units.toString().padStart(7, "0");
  return `${text.slice(0, -6)}.${text.slice(-6)}`;
};

/** The largest r with r*r*den <= num, by bisection: floor(sqrt(num/den)). */
function floorSqrtOf(num: bigint, den: bigint): bigint {
  let low = 0n;
  let high = 1n;
  while (high * high * den <= num) high *= 2n;
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    if (mid * mid * den <= num) low = mid;
    else high = mid;
  }
  return low;
}

/** q as an exact fraction num/den from its decimal text. */
function fraction(text: string): { num: bigint; den: bigint } {
  const [whole, dec = ""] = text.split(".");
  const den = 10n ** BigInt(dec.length);
  return { num: BigInt(whole) * den + BigInt(dec || "0"), den };
}

function meanWeights(importanceCsv: string): Map<string, number> {
  const lines = importanceCsv.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines[0].split(",").map(strip);
  const [s, t, w] = ["Source", "Target", "Weight"].map((n) => header.indexOf(n));
  const sums = new Map<string, { sum: number; count: number }>();
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    const key = `${strip(f[t])}|${strip(f[s])}`;
    const e = sums.get(key) ?? { sum: 0, count: 0 };
    e.sum += Number(strip(f[w]));
    e.count++;
    sums.set(key, e);
  }
  return new Map([...sums].map(([k, e]) => [k, e.sum / e.count]));
}

function matchesAfter(rows: readonly Row[], weights: Map<string, number>, t: ReferenceThresholds): Map<string, ReferenceExplanation> {
  const maxAvg = amount(t.childMaxAvgAmount)!;
  // Every amount as an integer at the finest scale written so far: sums and the CHILD test are then exact integer arithmetic.
  const scale = finestScale(rows, maxAvg.scale);
  const merchants = new Map<string, Map<string, { n: bigint; sum: bigint; gender: string }>>();
  for (const r of rows) {
    const customers = merchants.get(r.merchant) ?? new Map<string, { n: bigint; sum: bigint; gender: string }>();
    merchants.set(r.merchant, customers);
    const agg = customers.get(r.customer) ?? { n: 0n, sum: 0n, gender: r.gender };
    agg.n += 1n;
    agg.sum += atScale(r.amount, scale);
    customers.set(r.customer, agg);
  }
  const out = new Map<string, ReferenceExplanation>();
  const childSumBelow = atScale(maxAvg, scale);
  for (const [merchant, customers] of merchants) {
    let total = 0n;
    let female = 0;
    let male = 0;
    for (const a of customers.values()) {
      total += a.n;
      if (a.gender === "F") female++;
      if (a.gender === "M") male++;
    }
    for (const [customer, a] of customers) {
      if (a.n >= BigInt(t.childMinTxns) && a.sum < childSumBelow * a.n) {
        out.set(`PatId2|${customer}|${merchant}`, { n: Number(a.n), avg: millionths((a.sum * MILLION) / (a.n * 10n ** BigInt(scale))) });
      }
    }
    if (female > t.deiMinFemaleCustomers && female < male) out.set(`PatId3||${merchant}`, { F: female, M: male });
    if (total > BigInt(t.upgradeMinMerchantTxns)) {
      const counts = [...customers.values()].map((a) => a.n).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      const ws = [...customers.keys()]
        .map((c) => weights.get(`${merchant}|${c}`))
        .filter((w): w is number => w !== undefined)
        .sort((x, y) => x - y);
      if (ws.length === 0) continue;
      const qc = fraction(t.upgradeCountQuantile);
      const hc = BigInt(counts.length - 1) * qc.num;
      const lo = Number(hc / qc.den);
      const rem = hc % qc.den;
      const hi = Math.min(lo + 1, counts.length - 1);
      // n >= counts[lo] + rem/den * (counts[hi] - counts[lo]), multiplied through by den
      const atLeast = (n: bigint) => n * qc.den >= counts[lo] * qc.den + rem * (counts[hi] - counts[lo]);
      const qw = fraction(t.upgradeWeightQuantile);
      const hw = BigInt(ws.length - 1) * qw.num;
      const wlo = Number(hw / qw.den);
      const wrem = hw % qw.den;
      const whi = Math.min(wlo + 1, ws.length - 1);
      const tw = wrem === 0n ? ws[wlo] : ws[wlo] + ((ws[whi] - ws[wlo]) * Number(wrem)) / Number(qw.den);
      const tn = plain(counts[lo] * qc.den + rem * (counts[hi] - counts[lo]), qc.den.toString().length - 1);
      for (const [customer, a] of customers) {
        const w = weights.get(`${merchant}|${customer}`);
        if (w !== undefined && w <= tw && atLeast(a.n)) {
          out.set(`PatId1|${customer}|${merchant}`, { n: Number(a.n), Tn: tn, w: w.toFixed(6), Tw: tw.toFixed(6) });
        }
      }
    }
  }
  return out;
}

/** One customer's earlier valid transactions: n, sum and sum of squares, as integers at `scale`. */
interface History {
  n: bigint;
  scale: number;
  sum: bigint;
  squares: bigint;
}

/** The sum and sum of squares at a finer (or equal) scale. */
function historyAt(h: History, scale: number): { sum: bigint; squares: bigint } {
  const f = 10n ** BigInt(scale - h.scale);
  return { sum: h.sum * f, squares: h.squares * f * f };
}

function addToHistory(h: History, a: Amount): void {
  if (a.scale > h.scale) {
    ({ sum: h.sum, squares: h.squares } = historyAt(h, a.scale));
    h.scale = a.scale;
  }
  const v = atScale(a, h.scale);
  h.n += 1n;
  h.sum += v;
  h.squares += v * v;
}

/** PatId4–6 with one chunk's thresholds: each valid transaction judged against the customer's earlier transactions (before adding it). */
function transactionRules(t: ReferenceThresholds): (row: Row, history: History | undefined) => Array<[string, ReferenceExplanation]> {
  const min = amount(t.highValueMinAmount)!;
  const blacklist = new Set(t.blacklist);
  const minHistory = BigInt(t.anomalyMinHistory);
  const z = fraction(t.anomalyZ); // Z = num/den
  return (row, history) => {
    const out: Array<[string, ReferenceExplanation]> = [];
    const common = Math.max(min.scale, row.amount.scale);
    if (atScale(row.amount, common) >= atScale(min, common)) out.push(["PatId4", { amount: row.amountText, threshold: t.highValueMinAmount }]);
    if (blacklist.has(row.customer) || blacklist.has(row.merchant)) {
      out.push(["PatId5", { id: blacklist.has(row.customer) ? row.customer : row.merchant, reason: BLACKLIST_REASON }]);
    }
    if (history !== undefined && history.n >= minHistory) {
      const scale = Math.max(history.scale, row.amount.scale);
      const { sum, squares } = historyAt(history, scale);
      const x = atScale(row.amount, scale);
      const above = history.n * x - sum;
      // (n*x - S)^2 > (num/den)^2 * (n*Q - S^2), multiplied through by den^2
      const spread = history.n * squares - sum * sum;
      if (above > 0n && above * above * z.den * z.den > z.num * z.num * spread) {
        // mean = S/n, sd = sqrt(n*Q - S^2)/n, z = (n*x - S)/sqrt(n*Q - S^2); amounts here are integers at `scale`.
        const unit = history.n * 10n ** BigInt(scale);
        out.push([
          "PatId6",
          {
            amount: row.amountText,
            n: Number(history.n),
            mean: millionths((sum * MILLION) / unit),
            sd: millionths(floorSqrtOf(spread * MILLION * MILLION, unit * unit)),
            z: spread === 0n ? null : millionths(floorSqrtOf(above * above * MILLION * MILLION, spread)),
          },
        ]);
      }
    }
    return out;
  };
}

export interface SourceRecord {
  /** Lines of the source (0-based) where the record starts and ends; a record that cannot be parsed ends where it starts. */
  readonly first: number;
  readonly last: number;
  /** Undefined when the record cannot be parsed. */
  readonly fields?: string[];
}

/**
 * The source's CSV records per SPEC.md: RFC 4180 double quotes, blank lines
 * skipped, and a record that cannot be parsed (no closing quote before the
 * end, text after a closing quote, more than maxBytes bytes with its line
 * breaks) costs its first line only: the next record starts on the line after.
 */
export function sourceRecords(text: string, maxBytes: number): SourceRecord[] {
  const lines = text.split("\n");
  if (text.endsWith("\n")) lines.pop();
  if (lines.length > 0 && lines[0].startsWith("\uFEFF")) lines[0] = lines[0].slice(1);
  const bytes = lines.map((l, i) => Buffer.byteLength(l) + (i < lines.length - 1 || text.endsWith("\n") ? 1 : 0));
  const out: SourceRecord[] = [];
  let i = 0;
  while (i < lines.length) {
    if (bytes[i] <= maxBytes && (lines[i] === "" || lines[i] === "\r")) {
      i++;
      continue;
    }
    const parsed = recordAt(lines, bytes, i, maxBytes);
    out.push(parsed ? { first: i, last: parsed.last, fields: parsed.fields } : { first: i, last: i });
    i = (parsed ? parsed.last : i) + 1;
  }
  return out;
}

/** The record starting on line `start`, character by character; null when it cannot be parsed. */
function recordAt(lines: readonly string[], bytes: readonly number[], start: number, maxBytes: number): { fields: string[]; last: number } | null {
  const fields: string[] = [];
  let value = "";
  let mode: "fieldStart" | "plain" | "quoted" | "closed" = "fieldStart";
  let size = 0;
  for (let n = start; n < lines.length; n++) {
    size += bytes[n];
    if (size > maxBytes) return null;
    const line = lines[n];
    for (let k = 0; k < line.length; k++) {
      const c = line[k];
      if (mode === "quoted") {
        if (c !== '"') value += c;
        else if (line[k + 1] === '"') {
          value += '"';
          k++;
        } else mode = "closed";
      } else if (c === ",") {
        fields.push(value);
        value = "";
        mode = "fieldStart";
      } else if (mode === "closed") {
        if (!(c === "\r" && k === line.length - 1)) return null;
      } else if (mode === "fieldStart" && c === '"') {
        mode = "quoted";
      } else {
        value += c;
        mode = "plain";
      }
    }
    if (mode === "quoted") {
      value += "\n";
      continue;
    }
    fields.push(mode === "closed" ? value : value.replace(/\r$/, ""));
    return { fields, last: n };
  }
  return null;
}

/**
 * `t`: the thresholds, or the thresholds in force after each chunk (0-based index) when they
 * change while the stream runs.
 */
export function referenceDetections(
  transactionsCsv: string,
  importanceCsv: string,
  chunkRows: number,
  t: ReferenceThresholds | ((chunkIndex: number) => ReferenceThresholds),
  maxRecordBytes = 1_048_576,
): ReferenceResult {
  const thresholdsAfter = typeof t === "function" ? t : () => t;
  const [head, ...data] = sourceRecords(transactionsCsv, maxRecordBytes);
  const header = head.fields!.map(strip);
  const col = new Map(header.map((h, i) => [h, i]));
  const weights = meanWeights(importanceCsv);
  const rows: Row[] = [];
  const badRows: Array<{ chunkIndex: number; line: number }> = [];
  const first = new Map<string, number>();
  const explanations = new Map<string, ReferenceExplanation>();
  const transactionDetections: ReferenceDetection[] = [];
  const histories = new Map<string, History>();
  const chunks = Math.ceil(data.length / chunkRows);
  for (let k = 0; k < chunks; k++) {
    const records = data.slice(k * chunkRows, (k + 1) * chunkRows);
    // A chunk object is the header line, then the source from the line after the previous chunk's last record.
    const bodyStart = k === 0 ? head.last + 1 : data[k * chunkRows - 1].last + 1;
    const thresholds = thresholdsAfter(k);
    const judge = transactionRules(thresholds);
    for (const record of records) {
      const row = record.fields && parseRow(record.fields, col, header.length);
      const line = record.first - bodyStart + 2;
      if (!row) {
        badRows.push({ chunkIndex: k, line });
        continue;
      }
      rows.push(row);
      const history = histories.get(row.customer);
      for (const [patternId, explanation] of judge(row, history)) {
        const detection = { patternId, customer: row.customer, merchant: row.merchant, chunkIndex: k, line, amount: row.amountText };
        transactionDetections.push(detection);
        explanations.set(detectionKey(detection), explanation);
      }
      // Then it is history for the customer's later transactions, whether it fired or not.
      const h = history ?? { n: 0n, scale: 0, sum: 0n, squares: 0n };
      addToHistory(h, row.amount);
      histories.set(row.customer, h);
    }
    for (const [key, explanation] of matchesAfter(rows, weights, thresholds)) {
      if (first.has(key)) continue;
      first.set(key, k);
      explanations.set(`${key}|${k}`, explanation);
    }
  }
  const detections: ReferenceDetection[] = [
    ...[...first].map(([key, chunkIndex]) => {
      const [patternId, customer, merchant] = key.split("|");
      return { patternId, customer, merchant, chunkIndex };
    }),
    ...transactionDetections,
  ];
  const scale = finestScale(rows, 0);
  const sums = new Map<string, { n: number; sum: bigint }>();
  for (const r of rows) {
    const key = `${r.merchant}|${r.customer}`;
    const a = sums.get(key) ?? { n: 0, sum: 0n };
    a.n++;
    a.sum += atScale(r.amount, scale);
    sums.set(key, a);
  }
  const aggregates = new Map([...sums].map(([key, a]) => [key, { n: a.n, amount: plain(a.sum, scale) }]));
  return { detections, badRows, chunks, aggregates, explanations };
}

/** PatId1–3: `patternId|customer|merchant|chunkIndex`; PatId4–6 (line defined): `…|chunkIndex|line`. */
export function detectionKey(d: { patternId: string; customer: string; merchant: string; chunkIndex: number; line?: number }): string {
  const key = `${d.patternId}|${d.customer}|${d.merchant}|${d.chunkIndex}`;
  return d.line === undefined ? key : `${key}|${d.line}`;
}
