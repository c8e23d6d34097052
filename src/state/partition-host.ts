import type { Transaction } from "../csv/transactions";
import type { FiredDetection } from "../detection";
import type { ApplyRequest, ApplyResult } from "../ingest/apply-request";
import type { Log } from "../log";
import { ConfigHistory, type PatternRule } from "../patterns";
import { describeError } from "../retry";
import { FencedOutError, StaleConfigError, type Checkpoint, type PartitionDetection } from "../storage/partition-store";
import type { MerchantAggregates } from "./merchant-aggregates";
import { loadPartitions } from "./partition-loader";
import type { PartitionAggregates } from "./partition-aggregates";
import type { PartitionStore } from "./partition-store";

/** The chunk is not the next one for a partition; the caller sent chunks out of order. */
export class OutOfOrderError extends Error {
  override name = "OutOfOrderError";
}

export interface PartitionHostOptions {
  readonly nodeId: string;
  readonly partitions: number;
  readonly rules: readonly PatternRule[];
  /** A partition persists its aggregates every this many chunks (staggered across partitions). */
  readonly checkpointEvery: number;
  /** A chunk's valid rows by partition, for replaying chunks after a checkpoint. */
  readonly chunkRows: (key: string) => Promise<Map<number, Transaction[]>>;
  readonly log: Log;
}

/**
 * The partitions a merchant-state node holds in memory. Any node may be asked
 * to apply to any partition: it loads what it lacks (checkpoint, then replay of
 * the chunks since), and the fenced commit makes sure only a node whose state
 * is current can advance a partition. Each chunk is computed with the
 * configuration version in force for its sequence, live or replayed; the
 * versions are read with every load, and a commit computed with a version that
 * is no longer the one in force for its chunk (recorded meanwhile) is refused
 * and redone like a fenced-out one.
 */
export class PartitionHost {
  private readonly cache = new Map<number, PartitionAggregates>();
  private history = new ConfigHistory([]);
  /** Serialises work so an in-memory state is never touched by two chunks at once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: PartitionStore,
    private readonly opts: PartitionHostOptions,
  ) {}

  apply(req: ApplyRequest): Promise<ApplyResult> {
    return this.serially(() => this.applyNow(req, true));
  }

  /**
   * Checkpoints and drops the partitions no longer assigned to this node; loads the
   * ones newly assigned to it, except those another live node last committed: that
   * node is handing them over and may apply one more chunk, so a load now
   * would be stale. Those load on their first chunk, after its last commit.
   */
  async retain(assigned: ReadonlySet<number>, liveNodes: readonly string[]): Promise<void> {
    await this.serially(async () => {
      const released = [...this.cache.keys()].filter((p) => !assigned.has(p));
      await this.checkpoint(released);
      for (const p of released) this.cache.delete(p);
      const gained = [...assigned].filter((p) => !this.cache.has(p));
      const others = new Set(liveNodes.filter((n) => n !== this.opts.nodeId));
      const lastCommitters = await this.store.lastCommitters(gained);
      await this.load(gained.filter((p) => !others.has(lastCommitters.get(p) ?? "")));
    }).catch((err) => this.opts.log.warn("rebalancing partitions failed; they load on first use", { error: describeError(err) }));
  }

  /** Checkpoints everything, so the next assigned node has nothing to replay. */
  async close(): Promise<void> {
    await this.serially(() => this.checkpoint([...this.cache.keys()]));
  }

  /** A merchant's live aggregates, loading its partition if needed. */
  merchant(partition: number, merchant: string): Promise<MerchantAggregates | undefined> {
    return this.serially(async () => {
      if (!this.cache.has(partition)) await this.load([partition]);
      return this.cache.get(partition)!.merchants.get(merchant);
    });
  }

  cached(): ReadonlyMap<number, PartitionAggregates> {
    return this.cache;
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(req: ApplyRequest, mayRetry: boolean): Promise<ApplyResult> {
    const started = performance.now();
    await this.load(
      req.partitions
        .map((p) => p.partition)
        .filter((p) => {
          const cached = this.cache.get(p);
          return !cached || cached.appliedSeq < req.prevSeq || cached.weightsVersion !== req.weightsVersion;
        }),
    );

    const applied: number[] = [];
    const skipped: number[] = [];
    const fired: PartitionDetection[] = [];
    for (const { partition, rows } of req.partitions) {
      const state = this.cache.get(partition)!;
      if (state.appliedSeq >= req.seq) {
        skipped.push(partition);
        continue;
      }
      if (state.appliedSeq !== req.prevSeq) {
        throw new OutOfOrderError(`partition ${partition} is at chunk ${state.appliedSeq}, but chunk ${req.seq} follows ${req.prevSeq}`);
      }
      for (const m of this.applyChunk(state, req.seq, rows)) fired.push({ ...m, partition });
      applied.push(partition);
    }
    if (applied.length === 0) return { applied, skipped, detections: 0 };

    const checkpoint = this.checkpointOf(applied.filter((p) => this.checkpointDue(this.cache.get(p)!, req.seq)));
    const applying = performance.now();
    try {
      await this.store.commitChunk({
        seq: req.seq,
        prevSeq: req.prevSeq,
        partitions: applied,
        committer: this.opts.nodeId,
        chunkKey: req.chunkKey,
        yStartTime: new Date(req.yStartTime),
        detectionTime: new Date(),
        detections: fired,
        configVersion: this.history.inForce(req.seq).version,
        checkpoint,
      });
    } catch (err) {
      // The in-memory aggregates now hold a chunk that did not commit: reload them.
      for (const p of applied) this.cache.delete(p);
      // Another node applied to them, or a configuration version recorded meanwhile applies to this chunk.
      if ((err instanceof FencedOutError || err instanceof StaleConfigError) && mayRetry) {
        this.opts.log.info("reloading and retrying", { seq: req.seq, error: err.message });
        return this.applyNow(req, false);
      }
      throw err;
    }
    for (const p of applied) this.cache.get(p)!.appliedSeq = req.seq;
    for (const p of checkpoint.partitions) this.cache.get(p)!.checkpointSeq = req.seq;
    this.opts.log.debug("applied chunk", {
      seq: req.seq,
      partitions: applied.length,
      detections: fired.length,
      checkpointed: checkpoint.partitions.length,
      loadAndApplyMs: Math.round(applying - started),
      commitMs: Math.round(performance.now() - applying),
    });
    return { applied, skipped, detections: fired.length };
  }

  /** Applies chunk `seq` with the version in force for it; a partition whose version changes with it re-evaluates everything. */
  private applyChunk(state: PartitionAggregates, seq: number, rows: readonly Transaction[]): FiredDetection[] {
    const config = this.history.inForce(seq);
    const before = this.history.at(state.appliedSeq);
    return state.apply(rows, this.opts.rules, config.thresholds, before !== undefined && before.version !== config.version);
  }

  /** Each partition checkpoints every N chunks, at its own phase, so that checkpoints spread over chunks. */
  private checkpointDue(state: PartitionAggregates, seq: number): boolean {
    const every = this.opts.checkpointEvery;
    return (seq + state.partition) % every === 0 || seq - state.checkpointSeq >= 2 * every;
  }

  private checkpointOf(partitions: number[]): Checkpoint {
    return {
      partitions,
      pairs: partitions.flatMap((p) =>
        this.cache
          .get(p)!
          .takeDirty()
          .map((row) => ({ ...row, partition: p })),
      ),
    };
  }

  private async checkpoint(partitions: number[]): Promise<void> {
    const bySeq = new Map<number, number[]>();
    for (const p of partitions) {
      const state = this.cache.get(p);
      if (!state || state.checkpointSeq === state.appliedSeq) continue;
      bySeq.set(state.appliedSeq, [...(bySeq.get(state.appliedSeq) ?? []), p]);
    }
    for (const [seq, ps] of bySeq) {
      try {
        await this.store.checkpoint(this.checkpointOf(ps), seq, this.opts.nodeId);
        for (const p of ps) this.cache.get(p)!.checkpointSeq = seq;
      } catch (err) {
        for (const p of ps) this.cache.delete(p);
        if (!(err instanceof FencedOutError)) throw err;
      }
    }
  }

  private async load(partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const started = Date.now();
    const { aggregates, appliedSeq, replay, history } = await loadPartitions(this.store, partitions);
    this.history = history;
    const loaded = Date.now();
    let replayed = 0;
    for (const { seq, key } of replay) {
      const behind = [...aggregates.values()].filter((s) => s.appliedSeq < seq && seq <= appliedSeq.get(s.partition)!);
      if (behind.length === 0) continue;
      const rows = await this.opts.chunkRows(key);
      for (const s of behind) {
        this.applyChunk(s, seq, rows.get(s.partition) ?? []); // its detections are in the outbox already
        s.appliedSeq = seq;
      }
      replayed++;
    }
    for (const [p, state] of aggregates) {
      if (state.appliedSeq !== appliedSeq.get(p)) {
        throw new Error(`partition ${p}: replay reached chunk ${state.appliedSeq}, but the partition has applied chunk ${appliedSeq.get(p)}`);
      }
      this.cache.set(p, state);
    }
    this.opts.log.info("loaded partitions", {
      partitions: partitions.length,
      databaseMs: loaded - started,
      replayedChunks: replayed,
      replayMs: Date.now() - loaded,
    });
  }
}
