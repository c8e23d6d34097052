import { sleep } from "../../src/retry";

export interface SseEvent {
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * A Server-Sent Events client over fetch, as a browser's EventSource reads
 * the stream: events end at a blank line, `id:` sets the last event id,
 * lines starting with ":" are comments.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  lastEventId: string | undefined;
  private readonly abort = new AbortController();
  private reading: Promise<void> = Promise.resolve();
  /** The server ended the stream. */
  ended = false;
  status = 0;
  /** The body of a refusal (any status but 200). */
  refusal = "";

  /** Opens the stream; the client reads it in the background until close() or the server ends it. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal: client.abort.signal });
    client.status = res.status;
    if (res.status !== 200 || !res.body) client.refusal = await res.text();
    else client.reading = client.read(res.body.getReader()).catch(() => undefined);
    return client;
  }

  private async read(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        this.take(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    this.ended = true;
  }

  private take(block: string): void {
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (id !== undefined) this.lastEventId = id;
    if (data.length > 0) this.events.push({ id, data: data.join("\n") });
  }

  /** Waits until `count` events have arrived, or fails saying how many did. */
  async waitForEvents(count: number, timeoutMs = 20_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.events.length} of ${count} events arrived within ${timeoutMs} ms`);
      await sleep(20);
    }
    return this.events;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.reading;
  }
}
