/**
 * A wake-up call for one waiter at a time: wait() resolves at the next ring()
 * or after its time, whichever comes first. A ring while nobody waits is kept
 * for the next wait, so a notice that comes during work is not lost.
 */
export class WakeUp {
  private waiting: (() => void) | undefined;
  private rung = false;

  ring(): void {
    if (this.waiting) this.waiting();
    else this.rung = true;
  }

  wait(atMostMs: number): Promise<void> {
    if (this.rung) {
      this.rung = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiting = undefined;
        resolve();
      };
      const timer = setTimeout(done, atMostMs);
      this.waiting = done;
    });
  }
}
