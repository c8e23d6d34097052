import type { FiredDetection } from "../detection";
import type { ApplyRequest, ApplyResult, PartitionRows } from "../ingest/apply-request";
import type { Log } from "../log";
import { ConfigHistory, type PatternRule, type TransactionRule } from "../patterns";
import { describeError } from "../retry";
import { FencedOutError, StaleConfigError, type Checkpoint, type PartitionCategoryStats, type PartitionDetection } from "../storage/partition-store";
import { applyChunkRows } from "./apply-chunk";
import { ChunkCategoryStats } from "./category-stats";
import type { CustomerHistory } from "./customer-history";
import type { MerchantAggregates } from "./merchant-aggregates";
import { loadPartitions } from "./partition-loader";
import type { PartitionAggregates } from "./partition-aggregates";
import type { PartitionStore } from "./partition-store";

const NO_ROWS: PartitionRows = { rows: [], customerRows: [] };

/** The chunk is not the next one for a partition; the caller sent chunks out of order. */
export class OutOfOrderError extends Error {
  override name = "OutOfOrderError";
}

export interface PartitionHostOptions {
  readonly nodeId: string;
  readonly rules: readonly PatternRule[];
  readonly transactionRules: readonly TransactionRule[];
  /** A partition persists its aggregates every this many chunks (staggered across partitions). */
  readonly checkpointEvery: number;
  /** A chunk's valid rows by partition, for replaying chunks after a checkpoint. */
  readonly chunkRows: (key: string) => Promise<ReadonlyMap<number, PartitionRows>>;
  readonly log: Log;
}

/** A chunk applied in memory to some partitions, waiting for its turn to commit. */
interface AppliedInMemory {
  readonly req: ApplyRequest;
  /** The partitions' states the chunk was applied to: the commit goes ahead only if they are still the cached ones. */
  readonly states: ReadonlyMap<number, PartitionAggregates>;
  readonly skipped: number[];
  readonly detections: PartitionDetection[];
  readonly categoryStats: PartitionCategoryStats[];
  readonly checkpoint: Checkpoint;
  readonly configVersion: number;
  readonly applyMs: number;
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
 *
 * A chunk is applied in memory as soon as the one before it has been, while
 * that one still commits; commits run strictly in the order of the in-memory
 * applies. A failed commit drops the partitions' states, and with them every
 * chunk applied after it in memory: those chunks find their states gone when
 * their turn comes, and are applied again to a reloaded state.
 */
export class PartitionHost {
  private readonly cache = new Map<number, PartitionAggregates>();
  private history = new ConfigHistory([]);
  /** Serialises in-memory work so a state is never touched by two chunks at once; it never waits for a commit. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The end of the last commit queued: each commit starts after it. */
  private commits: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: PartitionStore,
    private readonly opts: PartitionHostOptions,
  ) {}

  /** Applies a chunk and resolves once it is committed (or was already). */
  apply(req: ApplyRequest): Promise<ApplyResult> {
    return this.serially(() => this.applyInMemory(req, true, true)).then((applied) => applied.committed);
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

  /** Lets the commits under way end, then checkpoints everything, so the next assigned node has nothing to replay. */
  async close(): Promise<void> {
    await this.commits;
    await this.serially(() => this.checkpoint([...this.cache.keys()]));
  }

  /** A merchant's live aggregates, loading its partition if needed. */
  merchant(partition: number, merchant: string): Promise<MerchantAggregates | undefined> {
    return this.serially(async () => {
      if (!this.cache.has(partition)) await this.load([partition]);
      return this.cache.get(partition)!.merchants.get(merchant);
    });
  }

  /** A customer's live history, loading its partition if needed. */
  customerHistory(partition: number, customer: string): Promise<CustomerHistory | undefined> {
    return this.serially(async () => {
      if (!this.cache.has(partition)) await this.load([partition]);
      return this.cache.get(partition)!.histories.get(customer);
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

  /**
   * Loads what is missing or behind, applies the chunk in memory and queues its
   * commit: after the commits already queued when `queued`, at once otherwise
   * (a chunk applied again in its own turn). The commit is wrapped so that the
   * serial queue does not wait for it.
   */
  private async applyInMemory(req: ApplyRequest, mayRetry: boolean, queued: boolean): Promise<{ committed: Promise<ApplyResult> }> {
    const started = performance.now();
    await this.load(
      req.partitions
        .map((p) => p.partition)
        .filter((p) => {
          const cached = this.cache.get(p);
          return !cached || cached.appliedSeq < req.prevSeq || cached.weightsVersion !== req.weightsVersion;
        }),
    );

    const skipped: number[] = [];
    const due: Array<{ state: PartitionAggregates; rows: PartitionRows }> = [];
    for (const { partition, rows, customerRows } of req.partitions) {
      const state = this.cache.get(partition)!;
      if (state.appliedSeq >= req.seq) skipped.push(partition);
      else if (state.appliedSeq !== req.prevSeq) {
        throw new OutOfOrderError(`partition ${partition} is at chunk ${state.appliedSeq}, but chunk ${req.seq} follows ${req.prevSeq}`);
      } else due.push({ state, rows: { rows, customerRows } });
    }
    const detections: PartitionDetection[] = [];
    // One set of figures for all the partitions this commit advances: each partition commits a chunk once, so
    // the lowest of them keys the rows uniquely, with one row per category instead of one per partition and category.
    const stats = new ChunkCategoryStats();
    for (const { state, rows } of due) {
      for (const m of this.applyChunk(state, req.seq, rows, stats)) detections.push({ ...m, partition: state.partition });
      state.appliedSeq = req.seq;
    }
    const firstPartition = Math.min(...due.map(({ state }) => state.partition));
    const categoryStats: PartitionCategoryStats[] = stats.rows().map((row) => ({ ...row, partition: firstPartition }));
    const applied: AppliedInMemory = {
      req,
      states: new Map(due.map(({ state }) => [state.partition, state])),
      skipped,
      detections,
      categoryStats,
      checkpoint: this.checkpointOf(due.filter(({ state }) => this.checkpointDue(state, req.seq)).map(({ state }) => state.partition)),
      configVersion: this.history.inForce(req.seq).version,
      applyMs: performance.now() - started,
    };
    if (!queued) return { committed: this.commit(applied, mayRetry) };
    const committed = this.commits.then(() => this.commit(applied, mayRetry));
    this.commits = committed.catch(() => undefined);
    return { committed };
  }

  /** Commits a chunk applied in memory, once every commit queued before it has ended. */
  private async commit(applied: AppliedInMemory, mayRetry: boolean): Promise<ApplyResult> {
    const { req, states, skipped } = applied;
    const partitions = [...states.keys()];
    // A partition skipped because an earlier chunk in memory is at or past this one: that chunk's commit has ended by now.
    const uncommitted = skipped.filter((p) => (this.cache.get(p)?.committedSeq ?? -1) < req.seq);
    if (uncommitted.length > 0) throw new Error(`chunk ${req.seq} did not commit on partition(s) ${uncommitted.join(", ")} yet; send it again`);
    if (partitions.length === 0) return { applied: [], skipped, detections: 0, byPattern: {} };
    if (partitions.some((p) => this.cache.get(p) !== states.get(p))) {
      // An earlier commit failed and dropped these states, this chunk with them.
      return this.serially(() => this.applyInMemory(req, mayRetry, false)).then((again) => again.committed);
    }
    const started = performance.now();
    try {
      await this.store.commitChunk({
        seq: req.seq,
        prevSeq: req.prevSeq,
        partitions,
        committer: this.opts.nodeId,
        chunkKey: req.chunkKey,
        yStartTime: new Date(req.yStartTime),
        detectionTime: new Date(),
        detections: applied.detections,
        categoryStats: applied.categoryStats,
        configVersion: applied.configVersion,
        checkpoint: applied.checkpoint,
      });
    } catch (err) {
      // The in-memory aggregates now hold a chunk that did not commit, and any applied after it: reload them.
      for (const [p, state] of states) if (this.cache.get(p) === state) this.cache.delete(p);
      // Another node applied to them, or a configuration version recorded meanwhile applies to this chunk.
      if ((err instanceof FencedOutError || err instanceof StaleConfigError) && mayRetry) {
        this.opts.log.info("reloading and retrying", { seq: req.seq, error: err.message });
        return this.serially(() => this.applyInMemory(req, false, false)).then((again) => again.committed);
      }
      throw err;
    }
    for (const state of states.values()) state.committedSeq = req.seq;
    for (const { partition } of applied.checkpoint) states.get(partition)!.checkpointSeq = req.seq;
    this.opts.log.debug("applied chunk", {
      seq: req.seq,
      partitions: partitions.length,
      detections: applied.detections.length,
      checkpointed: applied.checkpoint.length,
      loadAndApplyMs: Math.round(applied.applyMs),
      commitMs: Math.round(performance.now() - started),
    });
    return { applied: partitions, skipped, detections: applied.detections.length, byPattern: countByPattern(applied.detections) };
  }

  /** Applies chunk `seq` with the version in force for it (see applyChunkRows). */
  private applyChunk(state: PartitionAggregates, seq: number, rows: PartitionRows, stats?: ChunkCategoryStats): FiredDetection[] {
    const rules = { patterns: this.opts.rules, transactions: this.opts.transactionRules };
    return applyChunkRows(state, rows, this.history.inForce(seq), this.history.at(state.appliedSeq), rules, stats);
  }

  /** Each partition checkpoints every N chunks, at its own phase, so that checkpoints spread over chunks. */
  private checkpointDue(state: PartitionAggregates, seq: number): boolean {
    const every = this.opts.checkpointEvery;
    return (seq + state.partition) % every === 0 || seq - state.checkpointSeq >= 2 * every;
  }

  private checkpointOf(partitions: number[]): Checkpoint {
    return partitions.map((partition) => ({ partition, ...this.cache.get(partition)!.takeCheckpoint() }));
  }

  private async checkpoint(partitions: number[]): Promise<void> {
    const bySeq = new Map<number, number[]>();
    for (const p of partitions) {
      const state = this.cache.get(p);
      // A state with chunks still committing is checkpointed by those commits, if at all.
      if (!state || state.checkpointSeq === state.appliedSeq || state.committedSeq !== state.appliedSeq) continue;
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
    const { aggregates, appliedSeq, replay, history, readMs, restoreMs, checkpointEntries } = await loadPartitions(this.store, partitions);
    this.history = history;
    const loaded = Date.now();
    let replayed = 0;
    for (const { seq, key } of replay) {
      const behind = [...aggregates.values()].filter((s) => s.appliedSeq < seq && seq <= appliedSeq.get(s.partition)!);
      if (behind.length === 0) continue;
      const rows = await this.opts.chunkRows(key);
      for (const s of behind) {
        this.applyChunk(s, seq, rows.get(s.partition) ?? NO_ROWS); // its detections are in the outbox already
        s.appliedSeq = seq;
      }
      replayed++;
    }
    for (const [p, state] of aggregates) {
      if (state.appliedSeq !== appliedSeq.get(p)) {
        throw new Error(`partition ${p}: replay reached chunk ${state.appliedSeq}, but the partition has applied chunk ${appliedSeq.get(p)}`);
      }
      state.committedSeq = state.appliedSeq;
      this.cache.set(p, state);
    }
    this.opts.log.info("loaded partitions", {
      partitions: partitions.length,
      databaseMs: Math.round(readMs),
      restoreMs: Math.round(restoreMs),
      checkpointEntries,
      replayedChunks: replayed,
      replayMs: Date.now() - loaded,
    });
  }
}

function countByPattern(detections: readonly PartitionDetection[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { patternId } of detections) counts[patternId] = (counts[patternId] ?? 0) + 1;
  return counts;
}
