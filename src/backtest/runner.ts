import type { Log } from "../log";
import { describeError } from "../retry";
import type { BacktestRequest, BacktestSources } from "./backtest";
import { startRecordedBacktest } from "./recorded";

/** A backtest asked for while another runs in this process. */
export class BacktestBusyError extends Error {
  override name = "BacktestBusyError";
}

/**
 * Runs recorded backtests in the background, one at a time (each holds two
 * copies of every partition's state); `stop` ends the one under way, which
 * records its failure.
 */
export class BacktestRunner {
  private running: { id?: number; done: Promise<unknown> } | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly sources: () => Promise<BacktestSources>,
    private readonly log: Log,
  ) {}

  /** Records the backtest as running and starts it; resolves to its id. BacktestRequestError, BacktestBusyError. */
  async start(request: BacktestRequest, requestedBy: string): Promise<number> {
    if (this.running) {
      const which = this.running.id === undefined ? "a backtest" : `backtest ${this.running.id}`;
      throw new BacktestBusyError(`${which} is running on this node; ask again when it is done`);
    }
    const slot: { id?: number; done: Promise<unknown> } = { done: Promise.resolve() };
    this.running = slot;
    try {
      const started = await startRecordedBacktest(await this.sources(), request, requestedBy, this.stopping.signal);
      slot.id = started.id;
      slot.done = started.done
        .catch((err: unknown) => this.log.warn("backtest failed", { id: started.id, error: describeError(err) }))
        .finally(() => {
          if (this.running === slot) this.running = undefined;
        });
      return started.id;
    } catch (err) {
      this.running = undefined;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort(new Error("the detector service stopped"));
    await this.running?.done;
  }
}
