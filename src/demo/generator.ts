import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { once } from "node:events";
import { Random, WeightedPicker } from "./random";

export interface GeneratorOptions {
  readonly rows: number;
  readonly seed: number;
  readonly outDir: string;
  /** Fraction of extra malformed rows mixed in (0 = clean). */
  readonly dirty: number;
  /** Defaults scale with rows like BankSim: ~4,100 customers for 594,643 rows. */
  readonly customers?: number;
  readonly merchants?: number;
}

export interface GeneratedFiles {
  readonly transactions: string;
  readonly importance: string;
  readonly rows: number;
  readonly dirtyRows: number;
}

export const BANKSIM_ROWS = 594_643;
const BANKSIM_CUSTOMERS = 4_112;

/** BankSim's categories with their typical amounts (transport dominates the real file). */
const CATEGORIES: ReadonlyArray<{ name: string; mean: number }> = [
  { name: "es_transportation", mean: 26.9 },
  { name: "es_food", mean: 37.1 },
  { name: "es_health", mean: 135 },
  { name: "es_wellnessandbeauty", mean: 65.5 },
  { name: "es_fashion", mean: 65.7 },
  { name: "es_barsandrestaurants", mean: 43.5 },
  { name: "es_hyper", mean: 45.9 },
  { name: "es_sportsandtoys", mean: 215 },
  { name: "es_tech", mean: 120 },
  { name: "es_home", mean: 165 },
  { name: "es_hotelservices", mean: 205 },
  { name: "es_otherservices", mean: 136 },
  { name: "es_contents", mean: 44.5 },
  { name: "es_travel", mean: 2250 },
  { name: "es_leisure", mean: 288 },
];
const TRANSPORT_SHARE = 0.85;
const STEPS = 180;

interface Customer {
  readonly id: string;
  readonly age: string;
  readonly gender: string;
  /** Share of its transport spending at the first of the two big transport merchants. */
  readonly firstTransportShare: number;
  /** Scales every amount: some customers are frugal, some are not. */
  readonly thrift: number;
  /** Centre of the customer's importance weights. */
  readonly weightBase: number;
}

interface Merchant {
  readonly id: string;
  readonly category: { name: string; mean: number };
  readonly popularity: number;
  /** How much more likely a male customer picks it than a female one. */
  readonly maleAffinity: number;
}

/** Writes transactions.csv (BankSim layout) and CustomerImportance.csv (bsNET layout) into outDir. */
export async function generate(opts: GeneratorOptions): Promise<GeneratedFiles> {
  const random = new Random(opts.seed);
  const customerCount = opts.customers ?? Math.max(60, Math.round((opts.rows * BANKSIM_CUSTOMERS) / BANKSIM_ROWS));
  const merchantCount = Math.max(3, opts.merchants ?? 50);
  const customers = makeCustomers(random, customerCount);
  const merchants = makeMerchants(random, merchantCount);
  const activity = new WeightedPicker(customers.map(() => random.logNormal(0.7)));
  const others = merchants.slice(2);
  const forFemale = new WeightedPicker(others.map((m) => m.popularity));
  const forMale = new WeightedPicker(others.map((m) => m.popularity * m.maleAffinity));

  await mkdir(opts.outDir, { recursive: true });
  const files = { transactions: path.join(opts.outDir, "transactions.csv"), importance: path.join(opts.outDir, "CustomerImportance.csv") };
  const txOut = createWriteStream(files.transactions);
  const impOut = createWriteStream(files.importance);
  let tx: string[] = ['"step","customer","age","gender","zipcodeOri","merchant","zipMerchant","category","amount","fraud"'];
  let imp: string[] = ['"Source","Target","Weight","typeTrans","fraud"'];
  let dirtyRows = 0;

  for (let i = 0; i < opts.rows; i++) {
    const c = customers[activity.pick(random)];
    const m =
      random.next() < TRANSPORT_SHARE
        ? merchants[random.next() < c.firstTransportShare ? 0 : 1]
        : others[(c.gender === "M" ? forMale : forFemale).pick(random)];
    const fraud = random.next() < 0.012 ? 1 : 0;
    const amount = m.category.mean * c.thrift * random.logNormal(0.35) * (fraud ? 4 : 1);
    const step = Math.floor((i * STEPS) / opts.rows);
    // Most amounts have cents, as in BankSim; a few have more decimals, which must be kept exactly.
    const decimals = i % 40 === 7 ? 3 : 2;
    tx.push(formatTransaction(random, [String(step), c.id, c.age, c.gender, "28007", m.id, "28007", m.category.name], amount.toFixed(decimals), fraud));
    const weight = (c.weightBase * random.logNormal(0.3)).toFixed(2);
    imp.push(`'${c.id}','${m.id}',${weight},'${m.category.name}',${fraud}`);
    if (opts.dirty > 0 && random.next() < opts.dirty) {
      tx.push(malformedRow(random, step, c, m));
      dirtyRows++;
    }
    if (tx.length >= 20_000) {
      await write(txOut, tx);
      await write(impOut, imp);
      tx = [];
      imp = [];
    }
  }
  await write(txOut, tx);
  await write(impOut, imp);
  await Promise.all([close(txOut), close(impOut)]);
  return { ...files, rows: opts.rows, dirtyRows };
}

function makeCustomers(random: Random, count: number): Customer[] {
  const ids = uniqueIds(random, "C", count);
  return ids.map((id) => {
    const g = random.next();
    return {
      id,
      age: random.next() < 0.003 ? "U" : String(random.int(7)),
      gender: g < 0.55 ? "F" : g < 0.99 ? "M" : g < 0.995 ? "E" : "U",
      firstTransportShare: 0.3 + random.next() * 0.5,
      thrift: Math.exp(0.22 * random.normal()),
      weightBase: 1 + random.next() * 9,
    };
  });
}

function makeMerchants(random: Random, count: number): Merchant[] {
  const ids = uniqueIds(random, "M", count);
  return ids.map((id, i) => ({
    id,
    category: i < 2 ? CATEGORIES[0] : CATEGORIES[1 + ((i - 2) % (CATEGORIES.length - 1))],
    popularity: random.logNormal(0.8),
    maleAffinity: i >= 2 && i % 7 === 3 ? 3.5 : 1,
  }));
}

function uniqueIds(random: Random, prefix: string, count: number): string[] {
  const seen = new Set<string>();
  while (seen.size < count) seen.add(`${prefix}${100_000_000 + random.int(1_900_000_000)}`);
  return [...seen];
}

/** BankSim single-quotes strings; a few rows use double quotes or none, which readers must accept too. */
function formatTransaction(random: Random, strings: string[], amount: string, fraud: number): string {
  const style = random.next();
  const quote = style < 0.005 ? '"' : style < 0.01 ? "" : "'";
  const [step, ...rest] = strings;
  return `${step},${rest.map((s) => `${quote}${s}${quote}`).join(",")},${amount},${fraud}`;
}

/** Numbers a float parser would take, but not in the plain decimal notation SPEC.md requires. */
const NOT_PLAIN_AMOUNTS = ["'abc'", "0x10", "1e3", ".5", "+4", "NaN", "12.", "Infinity"];

function malformedRow(random: Random, step: number, c: Customer, m: Merchant): string {
  const base = [String(step), `'${c.id}'`, `'${c.age}'`, `'${c.gender}'`, "'28007'", `'${m.id}'`, "'28007'", `'${m.category.name}'`, "12.50", "0"];
  const broken = [...base];
  switch (random.int(8)) {
    case 0:
      broken.splice(4, 1);
      break;
    case 1:
      broken.push("'extra'");
      break;
    case 2:
      broken[0] = random.next() < 0.5 ? "-3" : "'x'";
      break;
    case 3:
      broken[1] = "''";
      break;
    case 4:
      broken[5] = "''";
      break;
    case 5:
      broken[8] = NOT_PLAIN_AMOUNTS[random.int(NOT_PLAIN_AMOUNTS.length)];
      break;
    case 6:
      broken[8] = "-5.00";
      break;
    default:
      broken[9] = "2";
      break;
  }
  return broken.join(",");
}

async function write(stream: NodeJS.WritableStream, lines: string[]): Promise<void> {
  if (lines.length === 0) return;
  if (!stream.write(`${lines.join("\n")}\n`)) await once(stream, "drain");
}

async function close(stream: NodeJS.WritableStream): Promise<void> {
  stream.end();
  await once(stream, "finish");
}
