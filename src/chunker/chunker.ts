import type { ObjectStore } from "../storage/object-store";
import { CHUNK_PREFIX } from "../storage/object-store";
import type { ChunkerProgress } from "../storage/chunker-progress";
import { chunkFolder, type ByteSource } from "./source";
import { readLines } from "./line-reader";

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

/**
 * Mechanism X: cuts the source into chunks of `chunkRows` rows. Each chunk's
 * key and bytes follow from the saved offset, and the offset is saved only
 * after the object is written, so a crash in between rewrites the same object.
 */
export class Chunker {
  private readonly folder: string;

  constructor(
    private readonly source: ByteSource,
    private readonly store: ObjectStore,
    private readonly progress: ProgressStore,
    private readonly chunkRows: number,
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
    const batch = await readLines(await this.source.open(current.byteOffset), this.chunkRows);
    const next: ChunkerProgress = {
      header: current.header,
      byteOffset: current.byteOffset + batch.bytes,
      rowOffset: current.rowOffset + batch.lines.length,
      chunksWritten: current.chunksWritten + (batch.lines.length > 0 ? 1 : 0),
      finished: batch.reachedEnd && current.byteOffset + batch.bytes >= size,
    };
    if (batch.lines.length === 0) {
      await this.progress.save(next);
      return null;
    }
    const key = chunkKey(this.folder, current.chunksWritten);
    await this.store.write(key, `${current.header}\n${batch.lines.join("\n")}\n`);
    await this.progress.save(next);
    return { key, rows: batch.lines.length, progress: next };
  }

  async status(): Promise<ChunkerProgress | null> {
    return this.progress.read();
  }

  /** Progress at the start of the source; an empty source (no header line) has header "" and counts as finished. */
  private async start(before: ChunkerProgress | null): Promise<ChunkerProgress> {
    const first = await readLines(await this.source.open(0), 1);
    if (first.lines.length === 0) return { header: "", byteOffset: 0, rowOffset: 0, chunksWritten: 0, finished: before?.finished ?? false };
    return { header: first.lines[0], byteOffset: first.bytes, rowOffset: 0, chunksWritten: 0, finished: false };
  }
}
