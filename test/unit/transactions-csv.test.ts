import { Readable } from "node:stream";
import { CsvFormatError, locateColumns } from "../../src/csv/fields";
import { forEachRecord } from "../../src/csv/records";
import { checkTransaction, parseTransactions, TRANSACTION_COLUMNS, type ParsedTransactions } from "../../src/csv/transactions";

const HEADER = '"step","customer","age","gender","zipcodeOri","merchant","zipMerchant","category","amount","fraud"';

describe("reading a transactions chunk", () => {
  it.each([
    ["single quotes (BankSim)", "0,'C1093826151','4','M','28007','M348934600','28007','es_transportation',4.55,0"],
    ["double quotes", '0,"C1093826151","4","M","28007","M348934600","28007","es_transportation",4.55,0'],
    ["no quotes", "0,C1093826151,4,M,28007,M348934600,28007,es_transportation,4.55,0"],
    ["quoted numbers", "'0','C1093826151','4','M','28007','M348934600','28007','es_transportation','4.55','0'"],
  ])("accepts %s and drops the quotes from the values", async (_name, row) => {
    const { valid, rejected } = await parseTransactions(`${HEADER}\n${row}\n`);
    expect(rejected).toEqual([]);
    expect(valid).toEqual([{ customer: "C1093826151", merchant: "M348934600", gender: "M", amount: "4.55", line: 2, category: "es_transportation" }]);
  });

  it("matches columns by name, with a quoted or unquoted header in any order", async () => {
    const header = "amount,fraud,merchant,customer,step,age,gender,zipcodeOri,zipMerchant,category";
    const { valid } = await parseTransactions(`${header}\n12.30,0,'M1','C1',3,'2','F','1','1','es_food'\r\n`);
    expect(valid).toEqual([{ customer: "C1", merchant: "M1", gender: "F", amount: "12.30", line: 2, category: "es_food" }]);
  });

  it.each([
    ["a missing field", "0,'C1','4','M','28007','M1','28007',4.55,0", "expected 10 fields, got 9"],
    ["an extra field", "0,'C1','4','M','28007','M1','28007','x',4.55,0,'y'", "expected 10 fields, got 11"],
    ["a negative step", "-1,'C1','4','M','28007','M1','28007','x',4.55,0", 'step is not an integer >= 0: "-1"'],
    ["a fractional step", "1.5,'C1','4','M','28007','M1','28007','x',4.55,0", 'step is not an integer >= 0: "1.5"'],
    ["an empty customer", "0,'','4','M','28007','M1','28007','x',4.55,0", "customer is empty"],
    ["an empty merchant", "0,'C1','4','M','28007','','28007','x',4.55,0", "merchant is empty"],
    [
      "a non-numeric amount",
      "0,'C1','4','M','28007','M1','28007','x','abc',0",
      'amount "abc" is not a plain decimal (digits, optionally a point and more digits)',
    ],
    [
      "a hexadecimal amount",
      "0,'C1','4','M','28007','M1','28007','x',0x10,0",
      'amount "0x10" is not a plain decimal (digits, optionally a point and more digits)',
    ],
    [
      "an amount in exponent notation",
      "0,'C1','4','M','28007','M1','28007','x',1e3,0",
      'amount "1e3" is not a plain decimal (digits, optionally a point and more digits)',
    ],
    [
      "an amount without leading digits",
      "0,'C1','4','M','28007','M1','28007','x',.5,0",
      'amount ".5" is not a plain decimal (digits, optionally a point and more digits)',
    ],
    ["a signed amount", "0,'C1','4','M','28007','M1','28007','x',+4,0", 'amount "+4" is not a plain decimal (digits, optionally a point and more digits)'],
    ["a negative amount", "0,'C1','4','M','28007','M1','28007','x',-5.00,0", 'amount "-5.00" is negative'],
    ["an empty amount", "0,'C1','4','M','28007','M1','28007','x','',0", "amount is empty"],
    [
      "an infinite amount",
      "0,'C1','4','M','28007','M1','28007','x',Infinity,0",
      'amount "Infinity" is not a plain decimal (digits, optionally a point and more digits)',
    ],
    ["a fraud flag of 2", "0,'C1','4','M','28007','M1','28007','x',4.55,2", 'fraud is not 0 or 1: "2"'],
    ["a customer id over 256 bytes", `0,'${"C".repeat(8000)}','4','M','28007','M1','28007','x',4.55,0`, "customer is longer than 256 bytes"],
    ["a merchant id of 129 two-byte characters", `0,'C1','4','M','28007','${"é".repeat(129)}','28007','x',4.55,0`, "merchant is longer than 256 bytes"],
    ["a control character in an id", "0,'C\u00011','4','M','28007','M1','28007','x',4.55,0", "customer, merchant or gender contains a control character"],
  ])("rejects a row with %s, with its line and reason", async (_name, row, reason) => {
    const good = "0,'C2','4','F','28007','M1','28007','x',1.00,0";
    const { valid, rejected } = await parseTransactions(`${HEADER}\n${good}\n${row}\n${good}\n`);
    expect(valid).toHaveLength(2);
    expect(rejected).toEqual([{ line: 3, reason, text: row }]);
  });

  it("keeps an amount exactly as written, every decimal included", async () => {
    const { valid } = await parseTransactions(
      `${HEADER}\n0,'C1','4','M','1','M1','1','x',22.995,0\n0,'C1','4','M','1','M1','1','x','0.000000000000000000001',0\n`,
    );
    expect(valid.map((t) => t.amount)).toEqual(["22.995", "0.000000000000000000001"]);
  });

  it("skips blank lines without counting them as rows", async () => {
    const { valid, rejected } = await parseTransactions(`${HEADER}\n\n0,'C1','4','M','1','M1','1','x',1,0\n\n`);
    expect(valid).toHaveLength(1);
    expect(rejected).toEqual([]);
  });

  it("fails the whole object when required columns are missing", async () => {
    await expect(parseTransactions("a,b,c\n1,2,3\n")).rejects.toThrow(
      new CsvFormatError(
        "missing required columns: step, customer, age, gender, zipcodeOri, merchant, zipMerchant, category, amount, fraud (header was: a,b,c)",
      ),
    );
  });

  it("fails the whole object when it has no readable header", async () => {
    await expect(parseTransactions(`"step,customer\n0,'C1'\n`)).rejects.toThrow("not readable as CSV: header on line 1: unterminated quoted field");
    await expect(parseTransactions("")).rejects.toThrow("empty object: no header row");
  });

  it("quarantines a record with an unterminated quote alone, with its line, and applies the rows after it", async () => {
    const good = "0,'C2','4','F','28007','M1','28007','x',1.00,0";
    const { valid, rejected } = await parseTransactions(`${HEADER}\n${good}\n0,"C1,'4'\n${good}\n${good}\n`);
    expect(valid).toHaveLength(3);
    expect(rejected).toEqual([{ line: 3, reason: "unterminated quoted field", text: "0,\"C1,'4'" }]);
  });

  it("reads a record whose quoted field spans lines as one row", async () => {
    const { valid, rejected } = await parseTransactions(
      `${HEADER}\n0,'C1','4','F','1','M1','1',"food,\r\n""fresh""",1.00,0\r\n1,'C2','4','M','1','M1','1','x',2.00,0\r\n`,
    );
    expect(rejected).toEqual([]);
    expect(valid.map((t) => t.customer)).toEqual(["C1", "C2"]);
  });
});

describe("reading a transactions chunk row by row in place", () => {
  /** What parseTransactions gives, from every record's fields. */
  async function fromFields(text: string): Promise<ParsedTransactions> {
    const out: ParsedTransactions = { valid: [], rejected: [] };
    let columns: ReturnType<typeof locateColumns<(typeof TRANSACTION_COLUMNS)[number]>> | undefined;
    await forEachRecord(Readable.from([Buffer.from(text)]), 1 << 20, (record) => {
      if (!columns) return void (columns = locateColumns(record.fields!, TRANSACTION_COLUMNS));
      const checked = record.error === undefined ? checkTransaction(record.fields, columns, record.line) : { reason: record.error };
      if ("txn" in checked) out.valid.push(checked.txn);
      else out.rejected.push({ line: record.line, reason: checked.reason, text: record.text });
    });
    return out;
  }

  it("gives what checking each record's fields gives, for rows of random fields with quotes, blanks and white space", async () => {
    const values = [
      "0",
      "12",
      "-1",
      "1.5",
      "4.55",
      "",
      " ",
      "'C1'",
      "'M1'",
      "' C2 '",
      " 'C3'",
      "'C4' ",
      "'",
      "''",
      '"C5"',
      '""',
      "\t'F'\u00a0",
      "\u3000M",
      "x\u0001",
      "é",
      "'ü'",
      "1 ",
      "'0'",
    ];
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = () => values[Math.floor(random() * values.length)];
    const header = "amount,fraud,merchant,customer,step,age,gender,zipcodeOri,zipMerchant,category";
    for (let round = 0; round < 300; round++) {
      const rows = Array.from({ length: 1 + Math.floor(random() * 20) }, () => {
        const count = random() < 0.1 ? 9 + Math.floor(random() * 3) : 10;
        const fields = Array.from({ length: count }, pick);
        if (random() < 0.5) [fields[0], fields[1], fields[4]] = ["4.55", random() < 0.5 ? "0" : "1", "7"];
        return fields.join(",") + (random() < 0.2 ? "\r" : "");
      });
      const text = `${header}\n${rows.join("\n")}\n`;
      expect({ text, parsed: await parseTransactions(text) }).toEqual({ text, parsed: await fromFields(text) });
    }
  });
});
