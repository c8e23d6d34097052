export interface RetryOptions {
  /** Epoch ms after which the last error is final. */
  readonly until: number;
  readonly onRetry: (err: unknown, delayMs: number) => void;
  readonly giveUp: (err: unknown) => Error;
  /** Stops the retrying: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** The wait before retry number `attempt` (from 0): doubling from `baseMs`, never above `maxMs`. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** attempt, maxMs);
}

/** Calls fn until it succeeds, backing off exponentially (250 ms doubling to 5 s), until the deadline. */
export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      opts.signal?.throwIfAborted();
      const delay = backoffDelay(attempt, 250, 5000);
      if (Date.now() + delay > opts.until) throw opts.giveUp(err);
      opts.onRetry(err, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** Waits ms; an abort ends the wait early, rejecting with the signal's reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const aborted = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", aborted);
      resolve();
    }, ms);
    signal.addEventListener("abort", aborted, { once: true });
  });
}

export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message || err.name;
  }
  return String(err);
}
