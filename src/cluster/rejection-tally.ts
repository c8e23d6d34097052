import type { Log } from "../log";
import { describeError } from "../retry";

export interface RejectionTallyOptions {
  readonly log: Log;
  /** Adds this many rejections to the durable count; a failure keeps them for the next flush. */
  readonly persist: (added: number) => Promise<void>;
  readonly logEveryMs?: number;
  readonly now?: () => number;
}

/**
 * Counts packets dropped because they failed authentication. A flood must
 * not flood the log: at most one warning per logEveryMs, carrying how many
 * were dropped since the last one.
 */
export class RejectionTally {
  private unpersisted = 0;
  private unlogged = 0;
  private lastLogAt = -Infinity;
  private flushing: Promise<void> | undefined;
  private readonly logEveryMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: RejectionTallyOptions) {
    this.logEveryMs = opts.logEveryMs ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  record(type: string, reason: string): void {
    this.unpersisted++;
    this.unlogged++;
    const now = this.now();
    if (now - this.lastLogAt < this.logEveryMs) return;
    this.opts.log.warn("dropped cluster packets that failed authentication (no or another CLUSTER_SECRET, altered or replayed)", {
      dropped: this.unlogged,
      lastType: type,
      lastReason: reason,
    });
    this.unlogged = 0;
    this.lastLogAt = now;
  }

  /** Hands the rejections counted since the last flush to persist; one flush at a time. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      const added = this.unpersisted;
      if (added === 0) return;
      this.unpersisted -= added;
      try {
        await this.opts.persist(added);
      } catch (err) {
        this.unpersisted += added;
        this.opts.log.debug("could not save the rejected-packet count; retrying", { error: describeError(err) });
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }
}
