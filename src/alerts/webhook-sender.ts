import { alertBody, idempotencyKey, type Alert } from "./alert";
import { signBody } from "./signature";
import type { WebhookChannel } from "./alert-settings";

/** A webhook that did not answer 2xx; the message says what it answered instead. */
export class WebhookRefused extends Error {
  override name = "WebhookRefused";
}

/**
 * POSTs one alert as signed JSON; resolves when the receiver answered 2xx.
 * The URL is left out of errors (it may hold a token); the channel name says which.
 */
export async function postAlert(channel: WebhookChannel, secret: string, alert: Alert, timeoutMs: number): Promise<void> {
  const body = alertBody(alert);
  let response: Response;
  try {
    response = await fetch(channel.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey(alert), ...signBody(secret, body) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    // Whatever the client says may quote the URL, and the URL may hold a token: it never goes into the error.
    const said = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new WebhookRefused(`webhook ${channel.name}: ${said.split(channel.url).join("<url>")}`);
  }
  const text = await response.text().catch(() => "");
  if (response.status < 200 || response.status > 299) {
    throw new WebhookRefused(`webhook ${channel.name}: HTTP ${response.status}${text ? ` ${text.slice(0, 200).replace(/\s+/g, " ")}` : ""}`);
  }
}
