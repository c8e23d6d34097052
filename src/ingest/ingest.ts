import { CsvFormatError, printable } from "../csv/fields";
import type { Log } from "../log";
import { describeError } from "../retry";
import type { ChunkLedger } from "../storage/chunk-ledger";
import { CHUNK_PREFIX, type ObjectStore } from "../storage/object-store";
import type { ApplyRequest } from "./apply-request";
import { quarantineKey, readChunk, renderQuarantine, type PreparedChunk } from "./chunk-reader";

/** Delivers one chunk to every partition; resolves once every partition has acknowledged it. */
export type Dispatch = (request: ApplyRequest) => Promise<{ detections: number }>;

export interface ChunkOutcome {
  readonly seq: number;
  readonly key: string;
  readonly status: "applied" | "failed";
  readonly valid: number;
  readonly bad: number;
  readonly detections: number;
  readonly error?: string;
}

/**
 * Mechanism Y: discovers chunk objects, and applies them one at a time in
 * ledger order. Reading the next chunk overlaps applying the current one.
 */
export class Ingest {
  private knownKeys: Set<string> | undefined;
  private greatestKnownKey = "";
  private prefetched: { key: string; chunk: Promise<PreparedChunk> } | undefined;

  constructor(
    private readonly ledger: ChunkLedger,
    private readonly store: ObjectStore,
    private readonly partitions: number,
    private readonly maxRecordBytes: number,
    private readonly dispatch: Dispatch,
    private readonly weightsVersion: () => Promise<number>,
    private readonly log: Log,
  ) {}

  /**
   * Lists the bucket and appends new chunk keys to the ledger in key order.
   * `afterKnown`: lists only the keys after the greatest known one, where the
   * chunker's next chunk lands, so that a listing costs what is new rather than
   * everything the bucket holds.
   */
  async discover(afterKnown = false): Promise<number> {
    if (!this.knownKeys) {
      this.knownKeys = await this.ledger.allKeys();
      for (const k of this.knownKeys) if (k > this.greatestKnownKey) this.greatestKnownKey = k;
    }
    const known = this.knownKeys;
    const listed = await this.store.listKeys(CHUNK_PREFIX, afterKnown && this.greatestKnownKey !== "" ? this.greatestKnownKey : undefined);
    const fresh = listed.filter((k) => !known.has(k));
    if (fresh.length === 0) return 0;
    const added = await this.ledger.register(fresh);
    for (const k of fresh) {
      known.add(k);
      if (k > this.greatestKnownKey) this.greatestKnownKey = k;
    }
    return added.length;
  }

  /** Applies the next pending chunk; null when none is pending. */
  async processNext(): Promise<ChunkOutcome | null> {
    const chunk = await this.ledger.nextPending();
    if (!chunk) return null;
    const yStart = await this.ledger.start(chunk.seq);
    const prepared = this.takePrefetched(chunk.key) ?? readChunk(this.store, chunk.key, this.partitions, this.maxRecordBytes);
    const following = await this.ledger.nextPending(chunk.seq);
    if (following) this.prefetch(following.key);

    const started = performance.now();
    let read: PreparedChunk;
    try {
      read = await prepared;
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      const error = printable(`${chunk.key}: ${describeError(err)}`, 500);
      this.log.warn("chunk failed, skipping it", { seq: chunk.seq, key: chunk.key, error });
      await this.ledger.finish(chunk.seq, "failed", 0, 0, error);
      return { seq: chunk.seq, key: chunk.key, status: "failed", valid: 0, bad: 0, detections: 0, error };
    }
    if (read.rejected.length > 0) {
      await this.store.write(quarantineKey(chunk.key), renderQuarantine(chunk.key, read.rejected));
    }
    const readMs = performance.now() - started;
    const partitions = [];
    for (let p = 0; p < this.partitions; p++) partitions.push({ partition: p, rows: read.rowsByPartition.get(p) ?? [] });
    const { detections } = await this.dispatch({
      seq: chunk.seq,
      prevSeq: await this.ledger.appliedBefore(chunk.seq),
      chunkKey: chunk.key,
      yStartTime: yStart.toISOString(),
      weightsVersion: await this.weightsVersion(),
      partitions,
    });
    const dispatchedMs = performance.now() - started;
    await this.ledger.finish(chunk.seq, "applied", read.valid, read.rejected.length);
    this.log.debug("chunk applied", {
      seq: chunk.seq,
      readWaitMs: Math.round(readMs),
      dispatchMs: Math.round(dispatchedMs - readMs),
      totalMs: Math.round(performance.now() - started),
    });
    return { seq: chunk.seq, key: chunk.key, status: "applied", valid: read.valid, bad: read.rejected.length, detections };
  }

  private prefetch(key: string): void {
    const chunk = readChunk(this.store, key, this.partitions, this.maxRecordBytes);
    chunk.catch(() => undefined); // surfaced when the chunk's turn comes
    this.prefetched = { key, chunk };
  }

  private takePrefetched(key: string): Promise<PreparedChunk> | undefined {
    const hit = this.prefetched?.key === key ? this.prefetched.chunk : undefined;
    this.prefetched = undefined;
    return hit;
  }
}

/** The object itself is bad (not CSV, wrong columns, gone), as opposed to S3 being unreachable. */
function isUnreadable(err: unknown): boolean {
  if (err instanceof CsvFormatError) return true;
  const name = (err as { name?: string }).name;
  return name === "NoSuchKey" || name === "InvalidObjectState";
}
