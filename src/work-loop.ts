import type { Log } from "./log";
import { backoffDelay, describeError } from "./retry";
import { WakeUp } from "./wake-up";

/** How often a standby copy of a singleton service tries to take over. */
export const STANDBY_RETRY_MS = 2000;

/** What a loop service does: one step at a time, and what it holds released when the loop has stopped. */
export interface LoopPolicy {
  /** One round of work; resolves to how long to wait before the next one (0: at once). */
  step(): Promise<number>;
  close?(): Promise<void>;
}

/**
 * Runs `step` over and over until stopped. A step returns how long to wait
 * before the next one (0: at once); wake() cuts a wait short. A failing step
 * is retried with backoff, its error logged once per streak and kept in
 * `failure` until a step succeeds again (health reports it).
 */
export class WorkLoop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  /** A wake() that comes while a step runs skips the next wait instead of being lost. */
  private readonly wakeUp = new WakeUp();
  private lastError: string | undefined;
  /** The end of the last step or exclusive task: each starts after it, so none overlap. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly name: string,
    private readonly step: () => Promise<number>,
    private readonly log: Log,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.done;
  }

  /** The error of the failing streak, if the last step failed: `<name>: <error> (N attempts)`. */
  get failure(): string | undefined {
    return this.lastError;
  }

  /**
   * Runs fn between two steps, never during one: a sync action that must see
   * what a step under way will commit (its rows are locked until then) waits
   * for that step, and the next step waits for fn.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }

  wake(): void {
    this.wakeUp.ring();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let delay: number;
      try {
        delay = await this.exclusive(this.step);
        if (failures > 0) this.log.info(`${this.name} recovered`, { after: failures });
        failures = 0;
        this.lastError = undefined;
      } catch (err) {
        if (!this.running) break; // a step cut short by stop() is not a failure
        failures++;
        this.lastError = `${this.name}: ${describeError(err)} (${failures} attempt${failures === 1 ? "" : "s"})`;
        delay = backoffDelay(failures, 250, 8000);
        if (failures === 1 || failures % 10 === 0) {
          this.log.warn(`${this.name} failed; retrying`, { error: describeError(err), attempt: failures, retryInMs: delay });
        }
      }
      if (delay > 0 && this.running) await this.wakeUp.wait(delay);
    }
  }
}
