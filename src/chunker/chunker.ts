import { Readable } from "node:stream";
import { countRecords, forEachRecord, type CsvRecord } from "../csv/records";
import type { ObjectStore } from "../storage/object-store";
import { CHUNK_PREFIX } from "../storage/object-store";
import type { ChunkerProgress } from "../storage/chunker-progress";
import { chunkFolder, type ByteSource } from "./source";

export interface ProgressStore {
  read(): Promise<ChunkerProgress | null>;
  save(p: ChunkerProgress): Promise<void>;
}

export interface WrittenChunk {
  readonly key: string;
  readonly rows: number;
  readonly progress: ChunkerProgress;
}

export function chunkKey(folder: string, index: number): string {
  return `${CHUNK_PREFIX}${folder}/chunk-${String(index).padStart(8, "0")}.csv`;
}

/** The 0-based index in a chunker key (chunkKey's `index`). */
export function chunkIndexOf(key: string): number {
  const m = /chunk-(\d+)\.csv$/.exec(key);
  if (!m) throw new Error(`not a chunker key: ${key}`);
  return Number(m[1]);
}

/**
 * Mechanism X: cuts the source into chunks of `chunkRows` CSV records, never
 * inside a record (one may span lines). Each chunk's key and bytes follow from
 * the saved offset, and the offset is saved only after the object is written,
 * so a crash in between rewrites the same object. A chunk is the header and a
 * byte range of the source, streamed: memory stays flat however long a record.
 */
export class Chunker {
  private readonly folder: string;

  constructor(
    private readonly source: ByteSource,
    private readonly store: ObjectStore,
    private readonly progress: ProgressStore,
    private readonly chunkRows: number,
    private readonly maxRecordBytes: number,
  ) {
    this.folder = chunkFolder(source);
  }

  /** Writes the next chunk, or returns null (and records it) when the source has nothing past the offset. */
  async writeNext(): Promise<WrittenChunk | null> {
    let current = await this.progress.read();
    // No header yet (an empty source): look again, it may have grown since.
    if (!current || current.header === "") current = await this.start(current);
    const size = await this.source.size();
    if (current.byteOffset >= size) {
      if (!current.finished) await this.progress.save({ ...current, finished: true });
      return null;
    }
    const scan = await countRecords(await this.source.open(current.byteOffset), this.maxRecordBytes, this.chunkRows);
    const records = scan.records;
    const next: ChunkerProgress = {
      header: current.header,
      byteOffset: current.byteOffset + scan.bytes,
      rowOffset: current.rowOffset + records,
      chunksWritten: current.chunksWritten + (records > 0 ? 1 : 0),
      finished: scan.complete && current.byteOffset + scan.bytes >= size,
    };
    if (records === 0) {
      await this.progress.save(next);
      return null;
    }
    const key = chunkKey(this.folder, current.chunksWritten);
    await this.writeChunk(key, current.header, current.byteOffset, next.byteOffset);
    await this.progress.save(next);
    return { key, rows: records, progress: next };
  }

  async status(): Promise<ChunkerProgress | null> {
    return this.progress.read();
  }

  /** The header, a line break, then the source's bytes from `from` to `to`. */
  private async writeChunk(key: string, header: string, from: number, to: number): Promise<void> {
    const head = Buffer.from(`${header}\n`);
    const source = this.source;
    async function* body(): AsyncGenerator<Buffer> {
      yield head;
      for await (const piece of await source.open(from, to)) yield piece as Buffer;
    }
    await this.store.writeStream(key, Readable.from(body()), head.length + to - from);
  }

  /** Progress at the start of the source; an empty source (no header record) has header "" and counts as finished. */
  private async start(before: ChunkerProgress | null): Promise<ChunkerProgress> {
    let header: CsvRecord | undefined;
    await forEachRecord(await this.source.open(0), this.maxRecordBytes, (record) => {
      header = record;
      return false;
    });
    if (!header) return { header: "", byteOffset: 0, rowOffset: 0, chunksWritten: 0, finished: before?.finished ?? false };
    return { header: header.text, byteOffset: header.end, rowOffset: 0, chunksWritten: 0, finished: false };
  }
}
