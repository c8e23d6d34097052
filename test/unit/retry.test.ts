import { backoffDelay, retry } from "../../src/retry";

describe("backoff", () => {
  it("doubles from the base and stops at the cap", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 60].map((n) => backoffDelay(n, 250, 8000))).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
    expect([0, 4, 5, 2000].map((n) => backoffDelay(n, 100, 3000))).toEqual([100, 1600, 3000, 3000]);
  });

  it("retry waits 250 ms, then doubles, and gives up when the next wait would pass the deadline", async () => {
    const waits: number[] = [];
    const failing = retry(() => Promise.reject(new Error("down")), {
      until: Date.now() + 1000,
      onRetry: (_err, delayMs) => waits.push(delayMs),
      giveUp: (err) => new Error(`gave up: ${(err as Error).message}`),
    });
    await expect(failing).rejects.toThrow("gave up: down");
    expect(waits).toEqual([250, 500]);
  });
});
