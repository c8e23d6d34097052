import { STANDBY_RETRY_MS, type LoopPolicy } from "../work-loop";
import type { LeaderLock } from "../storage/leader-lock";
import type { ChunkOutcome, Ingest } from "./ingest";

/**
 * Ingest's loop: while it holds the leader lock, loads the importance data
 * once, lists new chunks at most once per poll interval, and applies the next
 * chunk, announcing each chunk done. A landed chunk makes an idle loop list at once.
 */
export class IngestLoop implements LoopPolicy {
  private lastDiscovery = 0;
  private landed = false;

  constructor(
    private readonly leader: LeaderLock,
    private readonly ingest: Ingest,
    private readonly pollIntervalMs: number,
    /** Loads the importance data; undefined once done, or when there is none. */
    private loadImportance: (() => Promise<void>) | undefined,
    private readonly processed: (outcome: ChunkOutcome) => void,
  ) {}

  get leading(): boolean {
    return this.leader.held;
  }

  chunkLanded(): void {
    this.landed = true;
  }

  async step(): Promise<number> {
    if (!(await this.leader.hold())) return STANDBY_RETRY_MS;
    if (this.loadImportance) {
      await this.loadImportance();
      this.loadImportance = undefined;
    }
    if (Date.now() - this.lastDiscovery >= this.pollIntervalMs) {
      this.lastDiscovery = Date.now();
      await this.ingest.discover();
    }
    const outcome = await this.ingest.processNext();
    if (outcome) {
      this.processed(outcome);
      return 0;
    }
    if (!this.landed) return this.pollIntervalMs;
    // Idle, and a chunk landed: list at once. While busy, listing stays at one per poll interval.
    this.landed = false;
    this.lastDiscovery = 0;
    return 0;
  }

  async close(): Promise<void> {
    await this.ingest.settle();
    await this.leader.release();
  }
}
