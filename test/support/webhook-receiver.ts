import { createServer, type IncomingMessage, type Server } from "node:http";
import { verifySignature } from "../../src/alerts/signature";

/** One request the receiver got, with whether its signature and idempotency key checked out. */
export interface ReceivedAlert {
  readonly key: string;
  readonly body: Record<string, unknown>;
  readonly signed: boolean;
  readonly keyMatchesBody: boolean;
  readonly answered: number;
}

/**
 * A webhook receiver on a real port: answers `answer()` (500 to fail an
 * attempt), can go down (closed: connection refused) and come back on the same
 * port, verifies every signature, and deduplicates by Idempotency-Key.
 */
export class WebhookReceiver {
  readonly requests: ReceivedAlert[] = [];
  /** First body per Idempotency-Key among the accepted (2xx) requests. */
  readonly accepted = new Map<string, Record<string, unknown>>();
  answer: () => number = () => 200;
  private server: Server | undefined;

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/alerts`;
  }

  async up(): Promise<void> {
    const server = createServer((req, res) => {
      void readBody(req).then((raw) => {
        const key = String(req.headers["idempotency-key"] ?? "");
        const body = JSON.parse(raw) as Record<string, unknown>;
        const signed = verifySignature(this.secret, raw, header(req, "x-signature-timestamp"), header(req, "x-signature"));
        const status = signed ? this.answer() : 401;
        this.requests.push({ key, body, signed, keyMatchesBody: String(body.id) === key, answered: status });
        if (status >= 200 && status < 300 && !this.accepted.has(key)) this.accepted.set(key, body);
        res.writeHead(status, { "Content-Type": "text/plain" }).end(status < 300 ? "ok" : "try again");
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.server = server;
  }

  /** Closed: the next attempts meet a refused connection. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}
