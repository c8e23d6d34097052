import { STANDBY_RETRY_MS, type LoopPolicy } from "../work-loop";
import type { LeaderLock } from "../storage/leader-lock";
import type { Chunker, WrittenChunk } from "./chunker";

/**
 * The chunker's loop: while it holds the leader lock, one chunk every
 * `intervalMs`, each announced; once the source is exhausted, announced once,
 * a look at least every second.
 */
export class ChunkerLoop implements LoopPolicy {
  private exhausted = false;

  constructor(
    private readonly leader: LeaderLock,
    private readonly chunker: Chunker,
    private readonly intervalMs: number,
    private readonly landed: (chunk: WrittenChunk) => void,
    private readonly finished: () => void,
  ) {}

  get leading(): boolean {
    return this.leader.held;
  }

  async step(): Promise<number> {
    if (!(await this.leader.hold())) return STANDBY_RETRY_MS;
    const started = Date.now();
    const written = await this.chunker.writeNext();
    if (!written) {
      if (!this.exhausted) this.finished();
      this.exhausted = true;
      return Math.max(this.intervalMs, 1000);
    }
    this.exhausted = false;
    this.landed(written);
    return Math.max(0, this.intervalMs - (Date.now() - started));
  }

  close(): Promise<void> {
    return this.leader.release();
  }
}
