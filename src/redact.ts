/** What stands in for a secret in any output. */
export const REDACTED = "***";

// scheme://user:password@ and, for NATS, scheme://token@.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*):\/\/([^\s:@/]*)(:[^@/\n]*)?@/gi;

/** A NATS URL's lone user part is a token; elsewhere it is a user name. */
function tokenScheme(scheme: string): boolean {
  return /^(nats|tls)$/i.test(scheme);
}

/** Every URL in the text with its password (or NATS token) replaced: `postgres://app:***@db/x`, `nats://***@nats:4222`. */
export function redactUrl(text: string): string {
  return text.replace(URL_CREDENTIALS, (whole, scheme: string, user: string, password: string | undefined) => {
    if (password !== undefined) return `${scheme}://${user}:${REDACTED}@`;
    return tokenScheme(scheme) ? `${scheme}://${REDACTED}@` : whole;
  });
}

/** A URL setting for an error message: whatever stands before its last "@" (user, password, token) hidden, even when the URL is malformed. */
export function redactSetting(value: string): string {
  const at = value.lastIndexOf("@");
  if (at < 0) return value;
  const scheme = value.indexOf("//");
  const start = scheme >= 0 && scheme < at ? scheme + 2 : 0;
  return `${value.slice(0, start)}${REDACTED}${value.slice(at)}`;
}

/** The password or NATS token inside a URL, as written and percent-decoded; none when it has no credentials. */
export function urlSecrets(url: string | undefined): string[] {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^:@/]*)(?::([^@/]*))?@/i.exec(url?.trim() ?? "");
  if (!m) return [];
  const secret = m[3] ?? (tokenScheme(m[1]) ? m[2] : undefined);
  if (!secret) return [];
  try {
    return [secret, decodeURIComponent(secret)];
  } catch {
    return [secret];
  }
}

/**
 * Replaces the given secret values, and any credentials inside URLs, in text.
 * Secrets shorter than four characters are left alone: they would blank out ordinary words.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(secrets: Iterable<string | undefined>) {
    const known = new Set([...secrets].filter((s): s is string => typeof s === "string" && s.length >= 4));
    // Longest first, so that a secret containing another is replaced whole.
    this.secrets = [...known].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = redactUrl(text);
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }
}
