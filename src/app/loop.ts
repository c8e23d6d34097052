import type { Log } from "../log";
import { describeError } from "../retry";

/**
 * Runs `step` over and over until stopped. A step returns how long to wait
 * before the next one (0: at once); wake() cuts a wait short. A failing step
 * is retried with backoff, its error logged once per streak and kept in
 * `failure` until a step succeeds again (health reports it).
 */
export class WorkLoop {
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private wakeUp: (() => void) | undefined;
  /** A wake() that came while a step ran: the next wait is skipped instead of lost. */
  private woken = false;
  private lastError: string | undefined;

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

  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.woken = true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let delay: number;
      try {
        delay = await this.step();
        if (failures > 0) this.log.info(`${this.name} recovered`, { after: failures });
        failures = 0;
        this.lastError = undefined;
      } catch (err) {
        if (!this.running) break; // a step cut short by stop() is not a failure
        failures++;
        this.lastError = `${this.name}: ${describeError(err)} (${failures} attempt${failures === 1 ? "" : "s"})`;
        delay = Math.min(250 * 2 ** Math.min(failures, 5), 8000);
        if (failures === 1 || failures % 10 === 0) {
          this.log.warn(`${this.name} failed; retrying`, { error: describeError(err), attempt: failures, retryInMs: delay });
        }
      }
      if (delay > 0 && this.running) await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.wakeUp = finish;
    });
  }
}
