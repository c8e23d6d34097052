export interface RetryOptions {
  /** Epoch ms after which the last error is final. */
  readonly until: number;
  readonly onRetry: (err: unknown, delayMs: number) => void;
  readonly giveUp: (err: unknown) => Error;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Calls fn until it succeeds, backing off exponentially, until the deadline. */
export async function retry<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  let delay = opts.initialDelayMs ?? 250;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() + delay > opts.until) throw opts.giveUp(err);
      opts.onRetry(err, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, opts.maxDelayMs ?? 5000);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeError(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === "string" && !err.message.includes(code) ? `${code}: ${err.message}` : err.message || err.name;
  }
  return String(err);
}
