import { WorkLoop } from "../../src/work-loop";
import { sleep } from "../../src/retry";

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

describe("WorkLoop", () => {
  it("does not lose a wake-up that arrives while a step runs", async () => {
    let steps = 0;
    let loop: WorkLoop | undefined = undefined;
    loop = new WorkLoop(
      "test",
      async () => {
        steps++;
        if (steps === 1) loop!.wake(); // e.g. a chunk landed while the step was busy
        return 60_000;
      },
      quiet,
    );
    loop.start();
    await sleep(50);
    expect(steps).toBe(2);
    await loop.stop();
  });

  it("runs an exclusive task only between steps, so it sees what the step under way commits", async () => {
    const events: string[] = [];
    let release!: () => void;
    const loop = new WorkLoop(
      "test",
      async () => {
        events.push("step started");
        await new Promise<void>((resolve) => (release = resolve));
        events.push("step committed");
        return 60_000;
      },
      quiet,
    );
    loop.start();
    await sleep(10);
    const sync = loop.exclusive(async () => events.push("sync"));
    await sleep(10);
    expect(events).toEqual(["step started"]);
    release();
    await sync;
    expect(events).toEqual(["step started", "step committed", "sync"]);
    loop.wake();
    await sleep(10);
    release();
    await loop.stop();
  });

  it("a wake-up cuts a wait short, and stop ends it", async () => {
    let steps = 0;
    const loop = new WorkLoop("test", async () => (steps++, 60_000), quiet);
    loop.start();
    await sleep(20);
    loop.wake();
    await sleep(20);
    expect(steps).toBe(2);
    await loop.stop();
  });

  it("retries a failing step and carries on when it recovers", async () => {
    let calls = 0;
    const loop = new WorkLoop(
      "test",
      async () => {
        if (++calls === 1) throw new Error("database down");
        return 60_000;
      },
      quiet,
    );
    loop.start();
    await sleep(700); // first backoff is 500 ms
    expect(calls).toBe(2);
    await loop.stop();
  });

  it("keeps the failing streak's error for health until a step succeeds", async () => {
    let calls = 0;
    const loop = new WorkLoop(
      "chunker",
      async () => {
        if (++calls === 1) throw new Error("ENOENT: no such file");
        return 60_000;
      },
      quiet,
    );
    loop.start();
    await sleep(50);
    expect(loop.failure).toBe("chunker: ENOENT: no such file (1 attempt)");
    await sleep(700);
    expect(loop.failure).toBeUndefined();
    await loop.stop();
  });

  it("a step cut short by stop() is not a failure", async () => {
    const warnings: unknown[] = [];
    let loop: WorkLoop | undefined = undefined;
    loop = new WorkLoop(
      "ingest",
      async () => {
        void loop!.stop();
        throw new Error("stopped while applying chunk 3");
      },
      { ...quiet, warn: (...args: unknown[]) => warnings.push(args) },
    );
    loop.start();
    await loop.stop();
    expect(warnings).toEqual([]);
    expect(loop.failure).toBeUndefined();
  });
});
