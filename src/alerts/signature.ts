import { createHmac, timingSafeEqual } from "node:crypto";

/** How old a signed request may be before a receiver should refuse it. */
const SIGNATURE_MAX_AGE_SECONDS = 300;

/** The headers that sign one webhook request: HMAC-SHA256 over `<timestamp>.<body>`. */
export interface SignatureHeaders {
  readonly "X-Signature-Timestamp": string;
  readonly "X-Signature": string;
}

function signatureOf(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** Signs a body at `now` (ms since the epoch). */
export function signBody(secret: string, body: string, now = Date.now()): SignatureHeaders {
  const timestamp = String(Math.floor(now / 1000));
  return { "X-Signature-Timestamp": timestamp, "X-Signature": signatureOf(secret, timestamp, body) };
}

/** What a receiver does (the README shows the same): recompute, compare in constant time, refuse stale timestamps. */
export function verifySignature(secret: string, body: string, timestamp: string | undefined, signature: string | undefined, now = Date.now()): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > SIGNATURE_MAX_AGE_SECONDS) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
