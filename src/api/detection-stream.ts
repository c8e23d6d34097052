import type { ServerResponse } from "node:http";
import type { Detection } from "../detection";
import { WakeUp } from "../wake-up";

/** Detections after an id, oldest first, at most `limit`. */
export type DetectionsAfter = (afterId: number, limit: number) => Promise<Detection[]>;

const BATCH = 500;
/** How long a stream waits for a wake-up before it looks anyway (a wake-up from another node may be lost). */
const POLL_MS = 2000;
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
/** What EventSource clients wait before reconnecting. */
const RETRY_MS = 2000;

/** One detection as a Server-Sent Event: its id as the event id, the detection as JSON. */
function detectionEvent(d: Detection): string {
  return `id: ${d.id}\ndata: ${JSON.stringify(d)}\n\n`;
}

/**
 * The open detection streams of an api node: each sends the detections after
 * its start as they are stored, and looks again whenever `ring` says new ones
 * are in.
 */
export class DetectionStreams {
  private readonly open = new Map<{ wake: WakeUp; stop: AbortController }, Promise<void>>();

  /** New detections are stored. */
  ring(): void {
    for (const s of this.open.keys()) s.wake.ring();
  }

  /**
   * Sends the detections after `afterId` to `res` as Server-Sent Events until
   * the client goes away or closeAll(). A failure to read ends the stream: the
   * client reconnects with the Last-Event-ID it has and misses nothing.
   */
  serve(res: ServerResponse, afterId: number, next: DetectionsAfter): Promise<void> {
    const stream = { wake: new WakeUp(), stop: new AbortController() };
    const served = this.send(stream, res, afterId, next);
    this.open.set(stream, served);
    return served;
  }

  private async send(stream: { wake: WakeUp; stop: AbortController }, res: ServerResponse, afterId: number, next: DetectionsAfter): Promise<void> {
    const stopped = stream.stop.signal;
    const stop = (): void => {
      stream.stop.abort();
      stream.wake.ring();
    };
    res.once("close", stop);
    // A client that left while the stream was being set up closed before the listener above.
    if (res.destroyed || !res.socket || res.socket.destroyed) stop();
    try {
      res.writeHead(200, {
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache",
        Connection: "keep-alive",
        "X-Accel-Buffering": "no",
      });
      res.write(`retry: ${RETRY_MS}\n\n`);
      let cursor = afterId;
      let lastWrite = Date.now();
      while (!stopped.aborted) {
        const batch = await next(cursor, BATCH);
        for (const d of batch) {
          if (stopped.aborted) return;
          if (!res.write(detectionEvent(d))) await drained(res, stopped);
          cursor = d.id;
          lastWrite = Date.now();
        }
        if (batch.length === BATCH) continue;
        await stream.wake.wait(POLL_MS);
        if (Date.now() - lastWrite >= HEARTBEAT_MS && !stopped.aborted) {
          res.write(": keep-alive\n\n");
          lastWrite = Date.now();
        }
      }
    } finally {
      this.open.delete(stream);
      res.off("close", stop);
      res.end();
    }
  }

  /** Ends every open stream (the node is stopping); clients reconnect elsewhere or later. */
  async closeAll(): Promise<void> {
    for (const s of this.open.keys()) {
      s.stop.abort();
      s.wake.ring();
    }
    await Promise.allSettled(this.open.values());
  }
}

function drained(res: ServerResponse, stopped: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      stopped.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    stopped.addEventListener("abort", done);
  });
}
