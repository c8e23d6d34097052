import { Readable } from "node:stream";
import { countRecords, forEachRecord, type CsvRecord } from "../../src/csv/records";
import { sourceRecords } from "../support/reference";

const LIMIT = 1_048_576;

function pieces(text: string, size: number): Readable {
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return Readable.from(out);
}

async function records(text: string, limit = LIMIT, pieceSize = 1 << 16): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  await forEachRecord(pieces(text, pieceSize), limit, (r) => void out.push(r));
  return out;
}

const summary = (rs: CsvRecord[]) => rs.map((r) => (r.error === undefined ? [r.line, r.fields] : [r.line, r.error]));

describe("reading CSV records (RFC 4180)", () => {
  it("reads a quoted field holding commas, doubled quotes and line breaks as one record, numbered by its first line", async () => {
    const text = 'a,b,c\n1,"x, ""y""\nz\n\nw",3\n4,5,6\n';
    expect(summary(await records(text))).toEqual([
      [1, ["a", "b", "c"]],
      [2, ["1", 'x, "y"\nz\n\nw', "3"]],
      [6, ["4", "5", "6"]],
    ]);
  });

  it("handles CRLF line breaks, blank lines, a last line without a break, and byte ends of multi-byte text", async () => {
    const text = 'a,"é\r\nü"\r\n\r\nö,1\r\nlast,2';
    const rs = await records(text);
    expect(summary(rs)).toEqual([
      [1, ["a", "é\r\nü"]],
      [4, ["ö", "1"]],
      [5, ["last", "2"]],
    ]);
    expect(rs.map((r) => r.end)).toEqual([12, 20, Buffer.byteLength(text)]);
    expect(rs[0].text).toBe('a,"é\r\nü"');
  });

  it("gives the same records whatever the pieces the bytes arrive in", async () => {
    const text = 'h1,h2\nä,"b\nc"\n"unterminated,x\nq"q,1\n"ok""",2\n' + "y".repeat(90) + "\nz,ø\n";
    const whole = await records(text, 64);
    for (const size of [1, 2, 3, 7, 50]) expect(await records(text, 64, size)).toEqual(whole);
  });

  it("quarantines an unterminated quote alone and resumes at the line after it starts, up to the end of the stream", async () => {
    const text = "h\n0,'C1','x'\n1,\"C2,'x'\n2,'C3','x'\n3,'C4','x'\n";
    expect(summary(await records(text))).toEqual([
      [1, ["h"]],
      [2, ["0", "'C1'", "'x'"]],
      [3, "unterminated quoted field"],
      [4, ["2", "'C3'", "'x'"]],
      [5, ["3", "'C4'", "'x'"]],
    ]);
  });

  it("quarantines a record with characters after a closing quote, so a stray quote cannot swallow the next lines", async () => {
    const text = 'h\n1,"C1\n2,"C2",x\n3,"C3",y\n';
    const rs = await records(text);
    expect(summary(rs)).toEqual([
      [1, ["h"]],
      [2, "characters after a closing quote"],
      [3, ["2", "C2", "x"]],
      [4, ["3", "C3", "y"]],
    ]);
    expect(rs[1].text).toBe('1,"C1');
  });

  it("quarantines a line longer than the limit, and a quoted field that grows past it, each costing one line", async () => {
    const long = "x".repeat(100);
    const text = `h\n${long}\n1,"open\n${"2,ok\n".repeat(20)}3,end\n`;
    const rs = await records(text, 64);
    expect(summary(rs)).toEqual([
      [1, ["h"]],
      [2, "record longer than MAX_RECORD_BYTES (64 bytes)"],
      [3, "record longer than MAX_RECORD_BYTES (64 bytes)"],
      ...Array.from({ length: 20 }, (_, i) => [4 + i, ["2", "ok"]]),
      [24, ["3", "end"]],
    ]);
  });

  it("stops when asked, reporting the byte end of the last record delivered", async () => {
    const text = 'h\n1,"a\nb"\n\n2,c\n3,d\n';
    let seen = 0;
    const scan = await forEachRecord(pieces(text, 4), LIMIT, () => ++seen < 2);
    expect(scan).toEqual({ complete: false, bytes: Buffer.byteLength('h\n1,"a\nb"\n') });
  });

  it("reads input where every line reopens a quote (each record quarantined) without reading it again per line", async () => {
    const lines = 50_000;
    const started = performance.now();
    const rs = await records('x",y,"z\n'.repeat(lines));
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(rs).toHaveLength(lines);
    expect(rs.every((r) => r.error === "unterminated quoted field")).toBe(true);
    const limited = await records('x",y,"z\n'.repeat(5_000), 4096);
    expect(limited.map((r) => r.error)).toEqual([
      ...Array<string>(5_000 - 512).fill("record longer than MAX_RECORD_BYTES (4096 bytes)"),
      ...Array<string>(512).fill("unterminated quoted field"),
    ]);
  });

  it("skips a 50 MB line in linear time and flat memory, quarantines it, and reads the rows after it", async () => {
    const piece = Buffer.alloc(1 << 16, "x".charCodeAt(0));
    let peak = 0;
    const before = process.memoryUsage();
    const footprint = () => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed - before.heapUsed + m.arrayBuffers - before.arrayBuffers);
    };
    async function* input(): AsyncGenerator<Buffer> {
      yield Buffer.from("h,v\n1,a\n");
      for (let sent = 0; sent < 50 * 1024 * 1024; sent += piece.length) {
        footprint();
        yield piece;
      }
      yield Buffer.from("\n2,b\n3,c\n");
    }
    const started = performance.now();
    const out: CsvRecord[] = [];
    const scan = await forEachRecord(Readable.from(input()), LIMIT, (r) => void out.push(r));
    const elapsedMs = performance.now() - started;

    expect(summary(out)).toEqual([
      [1, ["h", "v"]],
      [2, ["1", "a"]],
      [3, "record longer than MAX_RECORD_BYTES (1048576 bytes)"],
      [4, ["2", "b"]],
      [5, ["3", "c"]],
    ]);
    expect(scan).toEqual({ complete: true, bytes: 8 + 50 * 1024 * 1024 + 9 });
    expect(elapsedMs).toBeLessThan(5_000);
    expect(peak).toBeLessThan(32 * 1024 * 1024);
  });
});

describe("the record reader and the test reference, written apart", () => {
  it("agree on the records of random text made of quotes, commas, line breaks and long runs", async () => {
    const tokens = ['"', '""', '"""', ",", '",', ',"', "\n", "\r\n", "\n\n", "a", "é", "x".repeat(30), "0,'C1','M1'", 'x",y,"z\n'];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 1000; round++) {
      const text = Array.from({ length: 1 + Math.floor(random() * 60) }, () => tokens[Math.floor(random() * tokens.length)]).join("");
      const expected = sourceRecords(text, 64).map((r) => [r.first + 1, r.fields ?? "bad"]);
      const actual = (await records(text, 64, 1 + Math.floor(random() * 16))).map((r) => [r.line, r.fields ?? "bad"]);
      expect({ text, records: actual }).toEqual({ text, records: expected });
    }
  });
});

describe("counting records without decoding them", () => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const below = (n: number) => Math.floor(random() * n);

  function randomPieces(bytes: Buffer): Readable {
    const out: Buffer[] = [];
    for (let at = 0; at < bytes.length;) {
      const size = random() < 0.2 ? 1 + below(3) : 1 + below(random() < 0.5 ? 200 : 5000);
      out.push(bytes.subarray(at, at + size));
      at += size;
    }
    return Readable.from(out);
  }

  it("gives the count and byte end forEachRecord gives, chunk after chunk, for any text cut into any pieces", async () => {
    const tokens = ['"', '""', ",", '",', ',"', "\n", "\r\n", "\r", "\n\n", "\n\r\n", "a", "é", "x".repeat(40), "y".repeat(90), "0,'C1','M1'\n", "1,2,3\n"];
    for (let round = 0; round < 1500; round++) {
      const parts = Array.from({ length: 1 + below(80) }, () => tokens[below(tokens.length)]);
      if (random() < 0.1) parts.unshift("\ufeff");
      const bytes = Buffer.from(parts.join(""));
      const limit = 1 + below(6);
      for (let offset = 0, chunks = 0; chunks === 0 || offset < bytes.length; chunks++) {
        let expected = 0;
        const scan = await forEachRecord(randomPieces(bytes.subarray(offset)), 64, () => ++expected < limit);
        const counted = await countRecords(randomPieces(bytes.subarray(offset)), 64, limit);
        expect({ text: bytes.toString(), offset, counted }).toEqual({ text: bytes.toString(), offset, counted: { ...scan, records: expected } });
        if (scan.bytes === 0) break;
        offset += scan.bytes;
      }
    }
  });
});
