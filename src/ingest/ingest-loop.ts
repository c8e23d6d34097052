import { STANDBY_RETRY_MS, type LoopPolicy } from "../work-loop";
import type { LeaderLock } from "../storage/leader-lock";
import type { ChunkOutcome, Ingest } from "./ingest";

/**
 * Ingest's loop: while it holds the leader lock, loads the importance data
 * once, lists the bucket once per poll interval (for chunks put there by
 * anyone), lists what follows the known chunks at once when the chunker
 * announces one, and applies the next chunk, announcing each chunk done.
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
    const landed = this.landed;
    this.landed = false;
    if (Date.now() - this.lastDiscovery >= this.pollIntervalMs) {
      this.lastDiscovery = Date.now();
      await this.ingest.discover();
    } else if (landed) await this.ingest.discover(true);
    const outcome = await this.ingest.processNext();
    if (outcome) {
      this.processed(outcome);
      return 0;
    }
    return this.landed ? 0 : this.pollIntervalMs;
  }

  async close(): Promise<void> {
    await this.ingest.settle();
    await this.leader.release();
  }
}
