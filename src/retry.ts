export interface RetryOptions {
  /** Epoch ms after which the last error is final. */
  readonly until: number;
  readonly onRetry: (err: unknown, delayMs: number) => void;
  readonly giveUp: (err: unknown) => Error;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stops the retrying: the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Calls fn until it succeeds, backing off exponentially, until the deadline. */
export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let delay = opts.initialDelayMs ?? 250;
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      return await fn();
    } catch (err) {
      opts.signal?.throwIfAborted();
      if (Date.now() + delay > opts.until) throw opts.giveUp(err);
      opts.onRetry(err, delay);
      await sleep(delay, opts.signal);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5000);
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
