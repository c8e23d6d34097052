import { ALL_RULES, ruleByPatternOrAction } from "../patterns";
import { redactSetting } from "../redact";
import { MIN_SECRET_LENGTH } from "../secret-length";

/** A bad alert setting; config.ts turns it into a ConfigError. */
export class AlertSettingError extends Error {
  override name = "AlertSettingError";
}

/** What an alert is about besides detections: problems of the pipeline itself. */
export const PIPELINE_SOURCE = "pipeline";

/** The name of the email channel in ALERT_ROUTES. */
export const EMAIL_CHANNEL = "email";

export interface WebhookChannel {
  readonly name: string;
  readonly url: string;
}

export interface EmailChannel {
  /** smtp://user:pass@host:port or smtps://… */
  readonly smtpUrl: string;
  readonly from: string;
  readonly to: readonly string[];
  /** At most one mail per this many ms; what comes in between goes into the next digest. */
  readonly minIntervalMs: number;
  /** Detections listed in one digest; the rest are counted. */
  readonly digestMax: number;
}

/** One line of routing: alerts of `source` (a pattern id, or `pipeline`) go to `channel`. */
export interface AlertRoute {
  readonly source: string;
  readonly channel: string;
}

export interface AlertSettings {
  readonly webhooks: readonly WebhookChannel[];
  /** HMAC-SHA256 key of the webhook signatures; set whenever webhooks are. */
  readonly webhookSecret: string | undefined;
  readonly webhookTimeoutMs: number;
  readonly email: EmailChannel | undefined;
  /** Empty when no channel is configured: the alerts service has nothing to do. */
  readonly routes: readonly AlertRoute[];
  /** Attempts per delivery before it is dead-lettered (status failed). */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** A sink whose oldest waiting detection is older than this is stuck (0: never alert). */
  readonly sinkStuckMs: number;
  /** A chunk with a larger share of quarantined rows alerts (1: never). */
  readonly quarantineRate: number;
}

/** The raw text of each alert setting (already trimmed); numbers are parsed by config.ts. */
export interface AlertSettingsText {
  readonly webhooks: string;
  readonly webhookSecret: string;
  readonly smtpUrl: string;
  readonly emailFrom: string;
  readonly emailTo: string;
  readonly routes: string;
}

export interface AlertNumbers {
  readonly webhookTimeoutMs: number;
  readonly emailMinIntervalMs: number;
  readonly emailDigestMax: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly sinkStuckMs: number;
  readonly quarantineRate: number;
}

const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** `ALERT_WEBHOOKS=ops-hook=https://…,audit=https://…` */
function parseWebhooks(text: string): WebhookChannel[] {
  const channels: WebhookChannel[] = [];
  for (const entry of text
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)) {
    const eq = entry.indexOf("=");
    const name = eq > 0 ? entry.slice(0, eq).trim() : "";
    const url = eq > 0 ? entry.slice(eq + 1).trim() : "";
    if (!CHANNEL_NAME.test(name) || !/^https?:\/\/\S+$/.test(url) || !URL.canParse(url)) {
      throw new AlertSettingError(`ALERT_WEBHOOKS entries look like name=https://host/path (name: letters, digits, - and _), got "${redactSetting(entry)}"`);
    }
    const parsed = new URL(url);
    if (parsed.username !== "" || parsed.password !== "") {
      throw new AlertSettingError(
        `ALERT_WEBHOOKS: webhook "${name}" has credentials in its URL, which HTTP clients refuse to send; put a token in the path or query`,
      );
    }
    if (name === EMAIL_CHANNEL) throw new AlertSettingError(`ALERT_WEBHOOKS: "${EMAIL_CHANNEL}" is the email channel's name; call the webhook something else`);
    if (channels.some((c) => c.name === name)) throw new AlertSettingError(`ALERT_WEBHOOKS: webhook "${name}" is named twice`);
    channels.push({ name, url });
  }
  return channels;
}

/**
 * `ALERT_ROUTES=PatId4,PatId5,PatId6,pipeline=ops-hook;PatId1=email,ops-hook`:
 * `;`-separated rules `sources=channels`, both comma-separated; a source is a
 * pattern id or action type (PatId1, CHILD, …), `pipeline`, or `*` for every pattern.
 * Empty: everything goes to every channel.
 */
function parseRoutes(text: string, channels: readonly string[]): AlertRoute[] {
  const patterns = ALL_RULES.map((r) => r.patternId);
  if (text === "") return [...patterns, PIPELINE_SOURCE].flatMap((source) => channels.map((channel) => ({ source, channel })));
  const routes = new Map<string, AlertRoute>();
  for (const rule of text
    .split(";")
    .map((r) => r.trim())
    .filter(Boolean)) {
    const eq = rule.indexOf("=");
    if (eq <= 0) throw new AlertSettingError(`ALERT_ROUTES rules look like PatId4,pipeline=ops-hook (";" between rules), got "${rule}"`);
    const list = (s: string) =>
      s
        .split(",")
        .map((x) => x.trim())
        .filter(Boolean);
    const targets = list(rule.slice(eq + 1));
    if (targets.length === 0) throw new AlertSettingError(`ALERT_ROUTES: rule "${rule}" names no channel`);
    for (const channel of targets) {
      if (!channels.includes(channel)) {
        throw new AlertSettingError(
          `ALERT_ROUTES: unknown channel "${channel}"; configured: ${channels.length > 0 ? channels.join(", ") : "none (set ALERT_WEBHOOKS or ALERT_SMTP_URL)"}`,
        );
      }
    }
    for (const name of list(rule.slice(0, eq))) {
      const sources = name === "*" ? patterns : name === PIPELINE_SOURCE ? [PIPELINE_SOURCE] : [ruleByPatternOrAction(name)?.patternId];
      if (sources[0] === undefined) {
        throw new AlertSettingError(`ALERT_ROUTES: unknown source "${name}"; known: ${patterns.join(", ")}, their action types, ${PIPELINE_SOURCE}, *`);
      }
      for (const source of sources as string[]) for (const channel of targets) routes.set(`${source}\n${channel}`, { source, channel });
    }
  }
  return [...routes.values()];
}

/** The alert settings from their text; throws AlertSettingError naming the setting. */
export function parseAlertSettings(text: AlertSettingsText, numbers: AlertNumbers): AlertSettings {
  const webhooks = parseWebhooks(text.webhooks);
  const webhookSecret = text.webhookSecret || undefined;
  if (webhooks.length > 0 && (webhookSecret === undefined || webhookSecret.length < MIN_SECRET_LENGTH)) {
    throw new AlertSettingError(
      `ALERT_WEBHOOK_SECRET is required with ALERT_WEBHOOKS and needs at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
    );
  }
  let email: EmailChannel | undefined;
  if (text.smtpUrl !== "") {
    if (!/^smtps?:\/\/\S+$/.test(text.smtpUrl) || !URL.canParse(text.smtpUrl)) {
      throw new AlertSettingError(`ALERT_SMTP_URL must look like smtp://user:pass@host:587 or smtps://…, got "${redactSetting(text.smtpUrl)}"`);
    }
    const to = text.emailTo
      .split(",")
      .map((a) => a.trim())
      .filter(Boolean);
    const address = /^[^\s@,]+@[^\s@,]+$/;
    if (!address.test(text.emailFrom)) throw new AlertSettingError(`ALERT_EMAIL_FROM must be an address like alerts@example.com, got "${text.emailFrom}"`);
    if (to.length === 0 || !to.every((a) => address.test(a))) {
      throw new AlertSettingError(`ALERT_EMAIL_TO must be one or more comma-separated addresses, got "${text.emailTo}"`);
    }
    email = { smtpUrl: text.smtpUrl, from: text.emailFrom, to, minIntervalMs: numbers.emailMinIntervalMs, digestMax: numbers.emailDigestMax };
  } else if (text.emailTo !== "" || text.emailFrom !== "") {
    throw new AlertSettingError("ALERT_EMAIL_FROM/ALERT_EMAIL_TO need ALERT_SMTP_URL (smtp://user:pass@host:587)");
  }
  const channels = [...webhooks.map((w) => w.name), ...(email ? [EMAIL_CHANNEL] : [])];
  if (channels.length === 0 && text.routes !== "") throw new AlertSettingError("ALERT_ROUTES is set but no channel is: set ALERT_WEBHOOKS or ALERT_SMTP_URL");
  if (numbers.retryMaxMs < numbers.retryBaseMs) throw new AlertSettingError("ALERT_RETRY_MAX_MS must be at least ALERT_RETRY_BASE_MS");
  return {
    webhooks,
    webhookSecret,
    webhookTimeoutMs: numbers.webhookTimeoutMs,
    email,
    routes: parseRoutes(text.routes, channels),
    maxAttempts: numbers.maxAttempts,
    retryBaseMs: numbers.retryBaseMs,
    retryMaxMs: numbers.retryMaxMs,
    sinkStuckMs: numbers.sinkStuckMs,
    quarantineRate: numbers.quarantineRate,
  };
}
