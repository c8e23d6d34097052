import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { generate } from "../../src/demo/generator";
import { QUARANTINE_PREFIX } from "../../src/storage/object-store";
import { detectionsInDb, expectExactResult, SCALED_ENV, SCALED_THRESHOLDS } from "../support/expectations";
import { freshBucket, freshDatabase, tempDir } from "../support/infra";
import { chunkIndexOf, pipelineEnv, startProgram } from "../support/pipeline";
import { detectionKey, referenceDetections } from "../support/reference";

const HEADER = "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud";
const row = (step: number, customer: string, category = "'es_food'", q = "'") =>
  `${step},${q}${customer}${q},${q}1${q},${q}F${q},${q}28007${q},${q}M9${q},${q}28007${q},${category},1.00,0`;
const CHUNK_ROWS = 6;
const THRESHOLDS = { ...SCALED_THRESHOLDS, childMinTxns: 3 };
const CHILD = detectionKey({ patternId: "PatId2", customer: "C9", merchant: "M9", chunkIndex: 0 });

/**
 * C9 makes 3 small purchases at M9, enough for CHILD only when the third,
 * which comes after the record under test in the same chunk, is applied.
 */
function source(record: string, third = row(5, "C9"), after: string[] = [row(6, "C1"), row(7, "C2"), row(8, "C3")]): string {
  return [HEADER, row(1, "C9"), row(2, "C9"), row(3, "C1"), record, third, ...after].join("\n") + "\n";
}

interface Run {
  readonly chunkRows: number;
  readonly thresholds: typeof THRESHOLDS;
  readonly env: Record<string, string>;
  readonly maxRecordBytes?: number;
}

const SMALL: Run = { chunkRows: CHUNK_ROWS, thresholds: THRESHOLDS, env: { CHUNK_ROWS: String(CHUNK_ROWS), CHILD_MIN_TXNS: "3" } };

function importanceFile(): string {
  const file = path.join(tempDir(), "importance.csv");
  writeFileSync(file, "Source,Target,Weight,typeTrans,fraud\n'C9','M9',1.5,'es_food',0\n");
  return file;
}

/** Runs `start --once`; checks the detections and the quarantined lines against the reference. */
async function run(name: string, transactions: string, importance = importanceFile(), settings: Run = SMALL) {
  const files = { transactions: path.join(tempDir(), `${name}.csv`), importance };
  writeFileSync(files.transactions, transactions);
  const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
  const env = pipelineEnv(databaseUrl, s3, settings.env);
  const started = performance.now();
  const program = startProgram("start", ["--once", "--source", files.transactions, "--importance", files.importance], env);
  expect(await program.exited).toBe(0);
  const seconds = (performance.now() - started) / 1000;
  const quarantined: Array<{ chunk: number; line: number; reason: string }> = [];
  for (const key of await s3.store.listKeys(QUARANTINE_PREFIX)) {
    const entries = parse<{ chunk: string; line: string; reason: string }>(await s3.store.readText(key), { columns: true });
    for (const e of entries) quarantined.push({ chunk: chunkIndexOf(e.chunk), line: Number(e.line), reason: e.reason });
  }
  const reference = referenceDetections(
    readFileSync(files.transactions, "utf8"),
    readFileSync(files.importance, "utf8"),
    settings.chunkRows,
    settings.thresholds,
    settings.maxRecordBytes,
  );
  await expectExactResult(databaseUrl, s3, reference);
  expect(quarantined.map((q) => `${q.chunk}:${q.line}`)).toEqual(reference.badRows.map((b) => `${b.chunkIndex}:${b.line}`));
  return { quarantined, detections: await detectionsInDb(databaseUrl), seconds };
}

describe("a record that cannot be parsed costs only itself", () => {
  it("an unterminated quote is quarantined with its line, and the rows after it in the chunk are applied", async () => {
    const result = await run("unterminated", source(row(4, '"C5', "'es_food'", "")));
    expect(result.quarantined).toEqual([{ chunk: 0, line: 5, reason: "unterminated quoted field" }]);
    expect(result.detections).toContain(CHILD);
  });

  it("a stray quote closed on the next line is quarantined for the characters after it, and the next line is still a row", async () => {
    const doubleQuoted = (step: number, customer: string) => row(step, customer, '"es_food"', '"');
    const result = await run("stray-quote", source(row(4, '"C5', "'es_food'", ""), doubleQuoted(5, "C9"), [doubleQuoted(6, "C1")]));
    expect(result.quarantined).toEqual([{ chunk: 0, line: 5, reason: "characters after a closing quote" }]);
    expect(result.detections).toContain(CHILD);
  });

  it("a customer id too long for an index is quarantined, and the rows after it are applied", async () => {
    const result = await run("long-id", source(row(4, "C".repeat(8000))));
    expect(result.quarantined).toEqual([{ chunk: 0, line: 5, reason: "customer is longer than 256 bytes" }]);
    expect(result.detections).toContain(CHILD);
  });

  it("a 50 MB line is quarantined as too long within seconds, and the rows after it are applied", async () => {
    const result = await run("long-line", source("x".repeat(50 * 1024 * 1024)));
    expect(result.quarantined).toEqual([{ chunk: 0, line: 5, reason: "record longer than MAX_RECORD_BYTES (1048576 bytes)" }]);
    expect(result.detections).toContain(CHILD);
    expect(result.seconds).toBeLessThan(30);
  });
});

describe("a quoted field spanning lines", () => {
  it("is one row: the record completing a pattern is applied, and the line numbers after it count its lines", async () => {
    const result = await run("multi-line", source(row(4, "C4", '"es_\r\nfood, ""fresh"""'), row(5, "C9", '"es_\n\nfood"'), [row(6, "")]));
    expect(result.detections).toContain(CHILD);
    expect(result.quarantined).toEqual([{ chunk: 0, line: 10, reason: "customer is empty" }]);
  });
});

describe("damaged and multi-line records anywhere, chunk boundaries included", () => {
  it("give exactly the reference's detections and quarantined lines", async () => {
    const generated = await generate({ rows: 6_000, seed: 11, outDir: tempDir(), dirty: 0.01, customers: 120, merchants: 6 });
    const [header, ...rows] = readFileSync(generated.transactions, "utf8").trimEnd().split("\n");
    const unquote = (f: string) => f.replace(/^['"]|['"]$/g, "");
    const damage: Record<string, (fields: string[]) => string> = {
      multiLine: (f) => [...f.slice(0, 7), `"${unquote(f[7])}\r\nsecond, ""line"""`, ...f.slice(8)].join(","),
      unterminated: (f) => [f[0], `"${unquote(f[1])}`, ...f.slice(2)].join(","),
      afterQuote: (f) => [f[0], `"${unquote(f[1])}"x`, ...f.slice(2)].join(","),
      tooLong: () => "z".repeat(5_000),
      nextIsDoubleQuoted: (f) => f.map((v, i) => (i === 0 || i >= 8 ? v : `"${unquote(v)}"`)).join(","),
    };
    const kinds = Object.keys(damage);
    // Every record stays one record, so row i is record i: the last rows of chunks 1 to 5 get each kind in turn.
    const edited = rows.map((line, i) => {
      const boundary = (i + 1) % 500 === 0 && i < 2_500;
      const kind = boundary ? kinds[(i + 1) / 500 - 1] : i % 37 === 0 ? kinds[(i / 37) % kinds.length] : undefined;
      return kind ? damage[kind](line.split(",")) : line;
    });
    const settings: Run = {
      chunkRows: 500,
      thresholds: { ...SCALED_THRESHOLDS, upgradeMinMerchantTxns: 600 },
      env: { ...SCALED_ENV, CHUNK_ROWS: "500", MAX_RECORD_BYTES: "4096", UPGRADE_MIN_MERCHANT_TXNS: "600" },
      maxRecordBytes: 4096,
    };
    const result = await run("damaged", `${header}\n${edited.join("\n")}\n`, generated.importance, settings);
    const reasons = new Set(result.quarantined.map((q) => q.reason.replace(/ \(.*/, "")));
    expect([...reasons]).toEqual(
      expect.arrayContaining(["unterminated quoted field", "characters after a closing quote", "record longer than MAX_RECORD_BYTES"]),
    );
    expect(new Set(result.detections.map((d) => d.split("|")[0]))).toEqual(new Set(["PatId1", "PatId2", "PatId3", "PatId4", "PatId6"]));
  });
});
