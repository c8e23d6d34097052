import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { locateColumns, unquote } from "../../src/csv/fields";
import { IMPORTANCE_COLUMNS, readImportance, readMeanWeights, type ImportanceRow } from "../../src/csv/importance";
import { forEachRecord } from "../../src/csv/records";

function pieces(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return Readable.from(out);
}

/** The usable rows and the skipped count, from every record's fields, written apart from readImportance. */
async function fromFields(text: string): Promise<{ rows: ImportanceRow[]; skipped: number }> {
  const rows: ImportanceRow[] = [];
  let skipped = 0;
  let columns: ReturnType<typeof locateColumns<(typeof IMPORTANCE_COLUMNS)[number]>> | undefined;
  await forEachRecord(pieces(text, 1 << 16), 1 << 20, (record) => {
    if (!columns) return void (columns = locateColumns(record.fields!, IMPORTANCE_COLUMNS));
    const value = (index: number) => unquote((record.fields?.[index] ?? "").trim());
    const [customer, merchant, weightText] = [value(columns.Source), value(columns.Target), value(columns.Weight)];
    const weight = weightText === "" ? NaN : Number(weightText);
    if (
      record.error !== undefined ||
      customer === "" ||
      merchant === "" ||
      !Number.isFinite(weight) ||
      /[\u0000-\u0008\u000a-\u001f]/.test(customer + merchant)
    ) {
      skipped++;
    } else rows.push({ line: record.line, customer, merchant, weight });
  });
  return { rows, skipped };
}

describe("reading CustomerImportance.csv", () => {
  it("gives the rows and skips that each record's fields give, for random rows with quotes, blanks, white space and missing fields", async () => {
    const values = [
      "'C1'",
      "'M1'",
      "C2",
      ' "M2" ',
      "8.38",
      "1e3",
      "-0.5",
      "abc",
      "",
      " ",
      "'",
      "''",
      "\t'C3'\u00a0",
      "'x\u0001'",
      "é",
      "'es_food'",
      "0",
      '"a,b"',
      '"q',
    ];
    let seed = 5;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = () => values[Math.floor(random() * values.length)];
    for (let round = 0; round < 300; round++) {
      const header = random() < 0.5 ? '"Source","Target","Weight","typeTrans","fraud"' : "fraud,Weight,Target,typeTrans,Source";
      const rows = Array.from({ length: 1 + Math.floor(random() * 20) }, () => {
        const fields = Array.from({ length: random() < 0.2 ? Math.floor(random() * 6) : 5 }, pick);
        return fields.join(",") + (random() < 0.2 ? "\r" : "") + (random() < 0.1 ? "\n" : "");
      });
      const text = `${header}\n${rows.join("\n")}\n`;
      const read: ImportanceRow[] = [];
      const summary = await readImportance(pieces(text, 1 + Math.floor(random() * 100)), 7, async (batch) => void read.push(...batch));
      const expected = await fromFields(text);
      expect({ text, rows: read, skipped: summary.skipped, count: summary.rows }).toEqual({
        text,
        rows: expected.rows,
        skipped: expected.skipped,
        count: expected.rows.length + expected.skipped,
      });
      expect(summary.sha256).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });

  it("takes the mean of a pair's weights, summed in file order", async () => {
    const text = "Source,Target,Weight\n'C1','M1',0.1\n'C1','M1',0.2\n'C2','M1',5\n'C1','M1',0.3\n'C1','M2',1\n";
    const means = await readMeanWeights(pieces(text, 9));
    expect(means.weights.get("M1")).toEqual(
      new Map([
        ["C1", (0.1 + 0.2 + 0.3) / 3],
        ["C2", 5],
      ]),
    );
    expect(means.weights.get("M2")).toEqual(new Map([["C1", 1]]));
    expect({ rows: means.rows, skipped: means.skipped, pairs: means.pairs }).toEqual({ rows: 5, skipped: 0, pairs: 3 });
  });
});
