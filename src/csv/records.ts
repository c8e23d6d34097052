import type { Readable } from "node:stream";

export const DEFAULT_MAX_RECORD_BYTES = 1_048_576;

/** One CSV record (RFC 4180): a logical row, which may span several lines when a quoted field holds line breaks. */
export type CsvRecord = RecordPlace & ({ readonly fields: string[]; readonly error?: undefined } | { readonly fields?: undefined; readonly error: string });

interface RecordPlace {
  /** 1-based line where the record starts. */
  readonly line: number;
  /** Byte offset, from the start of the stream, just past the record's last line break. */
  readonly end: number;
  /**
   * The record as written, without the line break that ends it. When it cannot be parsed: its first line, or
   * nothing when that line alone is longer than the limit.
   */
  readonly text: string;
}

export interface RecordScan {
  /** The stream was read to its end (rather than stopped by onRecord). */
  readonly complete: boolean;
  /** Bytes consumed: the end of the last record delivered, or the whole stream when complete. */
  readonly bytes: number;
}

/** A record of one line without a double quote, as its text without the line break: its fields are text.split(","). */
export type OnPlainRecord = (text: string, line: number) => boolean | void;

/**
 * Calls onRecord for every record of a CSV byte stream, in order, skipping
 * blank lines; stops early, destroying the stream, when onRecord returns
 * false. A record that cannot be parsed (an unterminated quoted field,
 * characters after a closing quote, more than maxRecordBytes bytes) is
 * delivered with an error, and reading resumes at the line after the one it
 * starts on, so it costs only itself. Linear in the input, and memory is
 * bounded by a multiple of maxRecordBytes however long a line or a run of bad
 * records is. With onPlain, the records of one line without a double quote go
 * to it instead, as text alone: a reader that wants a few of their fields
 * finds them in place rather than in a new array.
 */
export async function forEachRecord(
  stream: Readable,
  maxRecordBytes: number,
  onRecord: (record: CsvRecord) => boolean | void,
  onPlain?: OnPlainRecord,
): Promise<RecordScan> {
  const splitter = new RecordSplitter(maxRecordBytes, onRecord, onPlain);
  return scan(stream, splitter, (piece) => splitter.push(piece));
}

export interface RecordCount extends RecordScan {
  /** Records read: the limit, unless the stream ended first. */
  readonly records: number;
}

/**
 * Counts the records of a CSV byte stream, as forEachRecord delivers them
 * (bad ones included), up to limit (at least one), without decoding them:
 * the bytes and the count are the ones forEachRecord gives when its
 * onRecord stops at the limit.
 */
export async function countRecords(stream: Readable, maxRecordBytes: number, limit: number): Promise<RecordCount> {
  let records = 0;
  const counted = (): boolean => ++records < limit;
  const splitter = new RecordSplitter(maxRecordBytes, counted);
  const scanned = await scan(stream, splitter, (piece) => splitter.pushCounting(piece, counted));
  return { records, ...scanned };
}

/** Feeds the stream's pieces to the splitter through `push` until it ends or the splitter stops; destroys the stream. */
async function scan(stream: Readable, splitter: RecordSplitter, push: (piece: Buffer) => void): Promise<RecordScan> {
  try {
    for await (const piece of stream) {
      push(piece as Buffer);
      if (splitter.stopped) return { complete: false, bytes: splitter.delivered };
    }
    splitter.finish();
    return splitter.stopped ? { complete: false, bytes: splitter.delivered } : { complete: true, bytes: splitter.taken };
  } finally {
    stream.destroy();
  }
}

type Reading = "done" | "open" | "garbage";

interface Line {
  readonly text: string;
  readonly bytes: number;
  readonly number: number;
  readonly end: number;
  /** How the line reads from inside a quoted field: the state at every line break within a record. */
  readonly quoted: Reading;
}

const QUOTE = 34;
const COMMA = 44;
const CR = 13;
const LF = 10;

/**
 * Bytes to lines (with exact byte counts), lines to records. Pieces are
 * scanned once: an unfinished line is carried, or only counted once it is too
 * long. Once a quoted field stays open past a line break, the lines are queued
 * so that the record can be given up and reading resumed at its second line.
 * A line reads the same from inside any record's quoted field, so each queued
 * line is read that way once, and a record jumps straight to the next line that
 * does not leave it open: an input where every line reopens a quote costs
 * linear time, not n times MAX_RECORD_BYTES.
 */
class RecordSplitter {
  stopped = false;
  /** End of the last record delivered. */
  delivered = 0;
  /** Bytes of the lines taken in so far. */
  taken = 0;
  private lineNumber = 0;
  private carry: Buffer[] = [];
  private carryBytes = 0;
  /** Bytes of a line too long to keep, skipped until its line break. */
  private discarded: number | undefined;
  /** Consecutive lines up to the last one taken, from the first that may still be read. */
  private queue: Line[] = [];
  /** The next queued line to read as the start of a record. */
  private nextLine = 0;
  /** Numbers of the queued lines that do not leave a quoted field open, ascending. */
  private stops: number[] = [];
  private stopsPassed = 0;
  /** The line where the record being read starts; it is inside a quoted field at the end of its last line so far. */
  private openSince: number | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly onRecord: (record: CsvRecord) => boolean | void,
    private readonly onPlain?: OnPlainRecord,
  ) {}

  push(piece: Buffer): void {
    let from = this.finishCarried(piece);
    if (from < 0) return;
    const last = piece.lastIndexOf(LF);
    if (last >= from) {
      // A line feed byte never occurs inside a multi-byte UTF-8 character, so decoding up to one is safe.
      const text = piece.toString("utf8", from, last);
      const lines = text.split("\n");
      if (text.length === last - from) {
        for (const line of lines) {
          if (this.stopped) return;
          this.take(line, line.length + 1);
        }
      } else {
        let at = from;
        for (const line of lines) {
          if (this.stopped) return;
          const lf = piece.indexOf(LF, at);
          this.take(line, lf - at + 1);
          at = lf + 1;
        }
      }
      from = last + 1;
    }
    if (from < piece.length) this.hold(piece, from);
  }

  /**
   * push() for a reader that needs only where records end: while no record is
   * open, the lines without a double quote are counted, not decoded, and each
   * line with one goes to push(). onPlain is called for each record counted so
   * and may stop the reading.
   */
  pushCounting(piece: Buffer, onPlain: () => boolean | void): void {
    let from = this.finishCarried(piece);
    if (from < 0) return;
    while (from < piece.length && !this.stopped) {
      if (this.queue.length > 0) return this.push(piece.subarray(from));
      const quote = piece.indexOf(QUOTE, from);
      from = this.skim(piece, from, quote === -1 ? piece.length : piece.lastIndexOf(LF, quote) + 1, onPlain);
      if (quote === -1 || this.stopped) break;
      const lf = piece.indexOf(LF, quote);
      const end = lf === -1 ? piece.length : lf + 1;
      this.push(piece.subarray(from, end));
      from = end;
    }
    if (!this.stopped && from < piece.length) this.hold(piece, from);
  }

  /** take() for each whole line from from to before to, with no double quote and nothing pending, but for its text; returns where it stopped. */
  private skim(piece: Buffer, from: number, to: number, onPlain: () => boolean | void): number {
    for (let lf = piece.indexOf(LF, from); lf !== -1 && lf < to && !this.stopped; lf = piece.indexOf(LF, from)) {
      const bytes = lf + 1 - from;
      // The first line may start with a byte order mark, and a line too long is a bad record: take() reads both.
      if (this.lineNumber === 0 || bytes > this.maxBytes) {
        this.take(bytes > this.maxBytes ? "" : piece.toString("utf8", from, lf), bytes);
      } else {
        this.lineNumber++;
        this.taken += bytes;
        // Blank lines, empty or a lone CR, are no records.
        if (bytes > 2 || (bytes === 2 && piece[from] !== CR)) {
          this.delivered = this.taken;
          if (onPlain() === false) this.stopped = true;
        }
      }
      from = lf + 1;
    }
    return from;
  }

  finish(): void {
    if (this.discarded !== undefined) this.take("", this.discarded);
    else if (this.carry.length > 0) this.take(Buffer.concat(this.carry).toString("utf8"), this.carryBytes);
    this.carry = [];
    this.discarded = undefined;
    this.drain();
    while (this.openSince !== undefined && !this.stopped) {
      this.fail("unterminated quoted field");
      this.drain();
    }
  }

  /**
   * Completes the line carried from earlier pieces through the state machine
   * (it may hold a quote); the offset past it, or -1 when this piece does not
   * end it either and is held.
   */
  private finishCarried(piece: Buffer): number {
    if (this.discarded === undefined && this.carry.length === 0) return 0;
    const lf = piece.indexOf(LF);
    if (lf === -1) {
      this.hold(piece, 0);
      return -1;
    }
    this.takeCarried(piece, lf);
    return lf + 1;
  }

  /** Keeps the unfinished last line of a piece, or only counts it once it is longer than any record may be. */
  private hold(piece: Buffer, from: number): void {
    if (this.discarded !== undefined) {
      this.discarded += piece.length - from;
      return;
    }
    this.carryBytes += piece.length - from;
    if (this.carryBytes > this.maxBytes) {
      this.discarded = this.carryBytes;
      this.carry = [];
    } else {
      this.carry.push(Buffer.from(piece.subarray(from)));
    }
  }

  private takeCarried(piece: Buffer, lf: number): void {
    if (this.discarded !== undefined) {
      this.take("", this.discarded + lf + 1);
    } else {
      this.carry.push(piece.subarray(0, lf));
      this.take(Buffer.concat(this.carry).toString("utf8"), this.carryBytes + lf + 1);
    }
    this.carry = [];
    this.carryBytes = 0;
    this.discarded = undefined;
  }

  private take(text: string, bytes: number): void {
    this.lineNumber++;
    this.taken += bytes;
    if (this.lineNumber === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const hasQuote = text.includes('"');
    // The common case, a plain one-line record with nothing pending, skips the queue.
    if (this.queue.length === 0 && !hasQuote && bytes <= this.maxBytes) {
      const content = stripCr(text);
      if (content === "") return;
      if (this.onPlain) this.deliverPlain(content);
      else this.deliver({ line: this.lineNumber, end: this.taken, text: content, fields: content.split(",") });
      return;
    }
    if (this.queue.length === 0) this.nextLine = this.lineNumber;
    const quoted = hasQuote && bytes <= this.maxBytes ? new FieldReader(true).read(text) : "open";
    this.queue.push({ text, bytes, number: this.lineNumber, end: this.taken, quoted });
    if (quoted !== "open") this.stops.push(this.lineNumber);
    this.drain();
  }

  private drain(): void {
    while (!this.stopped) {
      if (this.openSince !== undefined) {
        if (!this.advance(this.openSince)) break;
      } else if (this.nextLine <= this.lineNumber && this.queue.length > 0) {
        this.begin(this.at(this.nextLine++));
      } else {
        break;
      }
    }
    this.compact();
  }

  private at(number: number): Line {
    return this.queue[number - this.queue[0].number];
  }

  /** Reads a line as the start of a record. */
  private begin(line: Line): void {
    // Its text is not kept: a line this long may never have been held whole.
    if (line.bytes > this.maxBytes) return this.deliver({ line: line.number, end: line.end, text: "", error: tooLong(this.maxBytes) });
    const content = stripCr(line.text);
    if (content === "") return;
    const reader = new FieldReader();
    const reading = reader.read(line.text);
    if (reading === "done") this.deliver({ line: line.number, end: line.end, text: content, fields: reader.fields });
    else if (reading === "garbage") this.reject(line, AFTER_QUOTE);
    else this.openSince = line.number;
  }

  /** Moves the open record to the next line that does not leave it open; false when that line has not arrived yet. */
  private advance(start: number): boolean {
    const stop = this.firstStopAfter(start);
    const first = this.at(start);
    const sizeBefore = (stop === undefined ? this.taken : this.at(stop).end - this.at(stop).bytes) - (first.end - first.bytes);
    if (sizeBefore > this.maxBytes) return this.fail(tooLong(this.maxBytes));
    if (stop === undefined) return false;
    const last = this.at(stop);
    if (sizeBefore + last.bytes > this.maxBytes) return this.fail(tooLong(this.maxBytes));
    if (last.quoted === "garbage") return this.fail(AFTER_QUOTE);
    const reader = new FieldReader();
    const lines = this.queue.slice(start - this.queue[0].number, stop - this.queue[0].number + 1);
    for (const line of lines) reader.read(line.text);
    this.openSince = undefined;
    this.nextLine = stop + 1;
    this.deliver({ line: start, end: last.end, text: stripCr(lines.map((l) => l.text).join("\n")), fields: reader.fields });
    return true;
  }

  /** Records start on ever later lines, so the stops before one never matter again. */
  private firstStopAfter(start: number): number | undefined {
    while (this.stopsPassed < this.stops.length && this.stops[this.stopsPassed] <= start) this.stopsPassed++;
    return this.stops[this.stopsPassed];
  }

  /** The open record cannot be parsed: it costs its first line only, and the lines after that are read again. */
  private fail(reason: string): true {
    const start = this.openSince!;
    this.openSince = undefined;
    this.nextLine = start + 1;
    this.reject(this.at(start), reason);
    return true;
  }

  /** Forgets the queued lines no record can start on or span any more. */
  private compact(): void {
    if (this.queue.length === 0) return;
    const keep = this.openSince ?? this.nextLine;
    if (keep > this.lineNumber) {
      this.queue = [];
      this.stops = [];
      this.stopsPassed = 0;
      return;
    }
    const dead = keep - this.queue[0].number;
    if (dead < 1024 || dead * 2 < this.queue.length) return;
    this.queue = this.queue.slice(dead);
    this.stops = this.stops.slice(this.stopsPassed);
    this.stopsPassed = 0;
  }

  private reject(line: Line, reason: string): void {
    this.deliver({ line: line.number, end: line.end, text: stripCr(line.text), error: reason });
  }

  private deliverPlain(text: string): void {
    if (this.stopped) return;
    this.delivered = this.taken;
    if (this.onPlain!(text, this.lineNumber) === false) this.stopped = true;
  }

  private deliver(record: CsvRecord): void {
    if (this.stopped) return;
    this.delivered = record.end;
    if (this.onRecord(record) === false) this.stopped = true;
  }
}

const AFTER_QUOTE = "characters after a closing quote";
const tooLong = (max: number): string => `record longer than MAX_RECORD_BYTES (${max} bytes)`;
const stripCr = (text: string): string => (text.endsWith("\r") ? text.slice(0, -1) : text);

/**
 * Splits a record into fields line by line, keeping its place across line
 * breaks inside a quoted field. A double quote opens a quoted field only at
 * the start of a field ("" inside it is a quote); elsewhere it is kept as is.
 */
class FieldReader {
  readonly fields: string[] = [];
  private value = "";

  /** quoted: start inside a quoted field, as on the line after a line break within one. */
  constructor(private quoted = false) {}

  read(text: string): "done" | "open" | "garbage" {
    let i = 0;
    for (;;) {
      if (this.quoted) {
        const close = text.indexOf('"', i);
        if (close === -1) {
          this.value += `${text.slice(i)}\n`;
          return "open";
        }
        this.value += text.slice(i, close);
        if (text.charCodeAt(close + 1) === QUOTE) {
          this.value += '"';
          i = close + 2;
          continue;
        }
        this.quoted = false;
        this.fields.push(this.value);
        i = close + 1;
        if (i === text.length || (i === text.length - 1 && text.charCodeAt(i) === CR)) return "done";
        if (text.charCodeAt(i) !== COMMA) return "garbage";
        i++;
      }
      if (text.charCodeAt(i) === QUOTE) {
        this.quoted = true;
        this.value = "";
        i++;
        continue;
      }
      const comma = text.indexOf(",", i);
      if (comma === -1) {
        this.fields.push(stripCr(text.slice(i)));
        return "done";
      }
      this.fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
