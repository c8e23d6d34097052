import type { DataSource } from "typeorm";
import type { ApplyRequest, ApplyResult } from "../ingest/apply-request";
import type { Log } from "../log";
import type { PatternRule, PatternThresholds } from "../patterns";
import { commitChunk, FencedOutError, loadPartitions } from "../storage/partition-store";
import type { Match, PairRow, PartitionState } from "./partition-state";

/** The chunk is not the next one for a partition; the caller sent chunks out of order. */
export class OutOfOrderError extends Error {
  override name = "OutOfOrderError";
}

/**
 * The partitions a merchant-state node holds in memory. Any node may be asked
 * to apply to any partition: it loads what it lacks, and the fenced commit
 * makes sure only a node whose state is current can advance a partition.
 */
export class PartitionHost {
  private readonly cache = new Map<number, PartitionState>();
  /** Serialises applies so an in-memory state is never mutated by two chunks at once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    private readonly nodeId: string,
    private readonly rules: readonly PatternRule[],
    private readonly thresholds: PatternThresholds,
    private readonly log: Log,
  ) {}

  apply(req: ApplyRequest): Promise<ApplyResult> {
    const run = this.queue.then(() => this.applyNow(req, true));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Drops partitions this node no longer owns; loads the ones it newly owns before their first chunk arrives. */
  async retain(owned: ReadonlySet<number>): Promise<void> {
    for (const p of this.cache.keys()) if (!owned.has(p)) this.cache.delete(p);
    const job = this.queue.then(() => this.load([...owned].filter((p) => !this.cache.has(p))));
    this.queue = job.catch(() => undefined);
    await job.catch((err) => this.log.warn("preloading partitions failed; they load on first use", { error: String(err) }));
  }

  cached(): ReadonlyMap<number, PartitionState> {
    return this.cache;
  }

  private async applyNow(req: ApplyRequest, mayRetry: boolean): Promise<ApplyResult> {
    const stale = req.partitions.map((p) => p.partition).filter((p) => {
      const cached = this.cache.get(p);
      return !cached || cached.appliedSeq < req.prevSeq || cached.weightsVersion !== req.weightsVersion;
    });
    await this.load(stale);

    const applied: number[] = [];
    const skipped: number[] = [];
    const changed: Array<PairRow & { partition: number }> = [];
    const matches: Array<Match & { partition: number }> = [];
    for (const { partition, rows } of req.partitions) {
      const state = this.cache.get(partition)!;
      if (state.appliedSeq >= req.seq) {
        skipped.push(partition);
        continue;
      }
      if (state.appliedSeq !== req.prevSeq) {
        throw new OutOfOrderError(`partition ${partition} is at chunk ${state.appliedSeq}, but chunk ${req.seq} follows ${req.prevSeq}`);
      }
      const effect = state.apply(rows, this.rules, this.thresholds);
      for (const r of effect.changed) changed.push({ ...r, partition });
      for (const m of effect.matches) matches.push({ ...m, partition });
      applied.push(partition);
    }
    if (applied.length === 0) return { applied, skipped, detections: 0 };

    try {
      await commitChunk(this.ds, {
        seq: req.seq, prevSeq: req.prevSeq, partitions: applied, owner: this.nodeId, chunkKey: req.chunkKey,
        yStartTime: new Date(req.yStartTime), detectionTime: new Date(), changed, matches,
      });
    } catch (err) {
      // The in-memory states now hold a chunk that did not commit: reload them.
      for (const p of applied) this.cache.delete(p);
      if (err instanceof FencedOutError && mayRetry) {
        this.log.info("partitions moved under us; reloading and retrying", { seq: req.seq, error: err.message });
        return this.applyNow(req, false);
      }
      throw err;
    }
    for (const p of applied) this.cache.get(p)!.appliedSeq = req.seq;
    return { applied, skipped, detections: matches.length };
  }

  private async load(partitions: number[]): Promise<void> {
    if (partitions.length === 0) return;
    const started = Date.now();
    for (const [p, state] of await loadPartitions(this.ds, partitions)) this.cache.set(p, state);
    this.log.debug("loaded partitions", { partitions: partitions.length, ms: Date.now() - started });
  }
}
