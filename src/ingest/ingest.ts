import { CsvFormatError, printable } from "../csv/fields";
import type { Log } from "../log";
import { describeError } from "../retry";
import type { ChunkLedger } from "../storage/chunk-ledger";
import { CHUNK_PREFIX, type ObjectStore } from "../storage/object-store";
import type { ApplyRequest } from "./apply-request";
import { quarantineKey, readChunk, renderQuarantine, type PreparedChunk } from "./chunk-reader";

/**
 * Delivers one chunk to every partition; resolves once every partition has
 * acknowledged it. `previous`: the chunk before it, still in flight, which a
 * partition must have before it can take this one.
 */
export type Dispatch = (request: ApplyRequest, previous?: Promise<unknown>) => Promise<{ detections: number }>;

export interface ChunkOutcome {
  readonly seq: number;
  readonly key: string;
  readonly status: "applied" | "failed";
  readonly valid: number;
  readonly bad: number;
  readonly detections: number;
  readonly error?: string;
}

/** Chunks dispatched before the oldest one in flight is acknowledged: the next one applies in memory while the one before commits. */
const WINDOW = 2;

/**
 * Mechanism Y: discovers chunk objects, and applies them in ledger order.
 * Reading the next chunk overlaps applying the current one, and up to WINDOW
 * chunks are in flight: chunk n+1 is sent while chunk n commits (every
 * partition applies and commits them in order, fenced on the chunk before).
 * Outcomes come back, and chunks are marked done in the ledger, in order.
 */
export class Ingest {
  private knownKeys: Set<string> | undefined;
  private greatestKnownKey = "";
  private prefetched: { key: string; chunk: Promise<PreparedChunk> } | undefined;
  /** Chunks started and not yet returned, oldest first. */
  private inFlight: Array<Promise<ChunkOutcome>> = [];
  /** While chunks are in flight: the last one started, and the chunk the partitions are at before the next one. */
  private window: { lastSeq: number; prevSeq: number } | undefined;

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

  /** The outcome of the next chunk in ledger order, starting the ones after it meanwhile; null when none is pending. */
  async processNext(): Promise<ChunkOutcome | null> {
    try {
      while (this.inFlight.length < WINDOW) {
        const started = await this.startNext();
        if (!started) break;
        this.inFlight.push(started.outcome);
      }
      const oldest = this.inFlight.shift();
      if (this.inFlight.length === 0) this.window = undefined;
      return oldest ? await oldest : null;
    } catch (err) {
      // Start again from the ledger: the first chunk not marked done is sent again, and partitions that have it skip it.
      // Chunks still in flight are left to end on their own; their outcomes were already made safe to drop.
      void this.forget();
      throw err;
    }
  }

  /** Waits for the chunks in flight, whatever becomes of them, and forgets them. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.forget());
  }

  private forget(): Array<Promise<ChunkOutcome>> {
    const inFlight = this.inFlight;
    this.inFlight = [];
    this.window = undefined;
    return inFlight;
  }

  /** Reads the next pending chunk and sends it; resolves once it is sent, to its outcome to come. */
  private async startNext(): Promise<{ outcome: Promise<ChunkOutcome> } | null> {
    const chunk = await this.ledger.startNext(this.window?.lastSeq);
    if (!chunk) return null;
    const prepared = this.takePrefetched(chunk.key) ?? readChunk(this.store, chunk.key, this.partitions, this.maxRecordBytes);
    if (chunk.following) this.prefetch(chunk.following);
    const prevSeq = this.window?.prevSeq ?? chunk.appliedBefore;
    this.window = { lastSeq: chunk.seq, prevSeq };
    const earlier = this.inFlight.at(-1);

    const started = performance.now();
    let read: PreparedChunk;
    try {
      read = await prepared;
    } catch (err) {
      if (!isUnreadable(err)) throw err;
      const error = printable(`${chunk.key}: ${describeError(err)}`, 500);
      this.log.warn("chunk failed, skipping it", { seq: chunk.seq, key: chunk.key, error });
      // Marked before the next chunk is sent: a partition that loads replays every chunk not marked failed.
      await this.ledger.finish(chunk.seq, "failed", 0, 0, error);
      return { outcome: Promise.resolve({ seq: chunk.seq, key: chunk.key, status: "failed", valid: 0, bad: 0, detections: 0, error }) };
    }
    if (read.rejected.length > 0) {
      await this.store.write(quarantineKey(chunk.key), renderQuarantine(chunk.key, read.rejected));
    }
    const readMs = performance.now() - started;
    const partitions = [];
    // Every partition of both kinds, rows or not: each one's fence moves with every chunk.
    for (let p = 0; p < 2 * this.partitions; p++) partitions.push({ partition: p, ...(read.byPartition.get(p) ?? { rows: [], customerRows: [] }) });
    this.window = { lastSeq: chunk.seq, prevSeq: chunk.seq };
    const dispatched = this.dispatch(
      {
        seq: chunk.seq,
        prevSeq,
        chunkKey: chunk.key,
        yStartTime: chunk.startedAt.toISOString(),
        weightsVersion: await this.weightsVersion(),
        partitions,
      },
      earlier,
    );
    const outcome = (async (): Promise<ChunkOutcome> => {
      const { detections } = await dispatched;
      const dispatchedMs = performance.now() - started;
      // A chunk counts as applied only once every chunk before it does.
      if (earlier) await earlier;
      await this.ledger.finish(chunk.seq, "applied", read.valid, read.rejected.length);
      this.log.debug("chunk applied", {
        seq: chunk.seq,
        readWaitMs: Math.round(readMs),
        dispatchMs: Math.round(dispatchedMs - readMs),
        totalMs: Math.round(performance.now() - started),
      });
      return { seq: chunk.seq, key: chunk.key, status: "applied", valid: read.valid, bad: read.rejected.length, detections };
    })();
    outcome.catch(() => undefined); // surfaced when its turn comes
    return { outcome };
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
