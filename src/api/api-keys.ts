import { createHash, timingSafeEqual } from "node:crypto";
import { MIN_SECRET_LENGTH } from "../secret-length";

/** `read`: every GET. `review`: also the review of detections. `admin`: also every other change of state. */
export type Scope = "read" | "review" | "admin";

export interface ApiKey {
  readonly name: string;
  readonly scope: Scope;
  readonly secret: string;
}

/** An API_KEYS entry that cannot be used; the message names the entry, never its secret. */
export class ApiKeyFormatError extends Error {
  override name = "ApiKeyFormatError";
}

/** Each scope grants what the ones before it do. */
const SCOPES: readonly Scope[] = ["read", "review", "admin"];
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Parses API_KEYS: comma-separated `name:scope:secret`; empty text means no keys (the API is open). */
export function parseApiKeys(text: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = text.split(",").map((e) => e.trim());
  if (entries.length === 1 && entries[0] === "") return keys;
  entries.forEach((entry, i) => {
    const first = entry.indexOf(":");
    const second = first < 0 ? -1 : entry.indexOf(":", first + 1);
    // Only the name may be shown: whatever follows the first colon can be (part of) a secret.
    const label = first > 0 && NAME.test(entry.slice(0, first)) ? `"${entry.slice(0, first)}" (entry ${i + 1})` : `entry ${i + 1}`;
    if (second < 0) throw new ApiKeyFormatError(`API_KEYS ${label} must look like name:scope:secret`);
    const [name, scope, secret] = [entry.slice(0, first), entry.slice(first + 1, second), entry.slice(second + 1)];
    if (!NAME.test(name)) throw new ApiKeyFormatError(`API_KEYS ${label}: the name must be 1-64 letters, digits, "_", "." or "-"`);
    if (!(SCOPES as readonly string[]).includes(scope)) throw new ApiKeyFormatError(`API_KEYS ${label}: the scope must be read, review or admin`);
    if (secret.length < MIN_SECRET_LENGTH || /[\s,]/.test(secret)) {
      throw new ApiKeyFormatError(`API_KEYS ${label}: the secret must be at least ${MIN_SECRET_LENGTH} characters without spaces`);
    }
    if (keys.some((k) => k.name === name)) throw new ApiKeyFormatError(`API_KEYS ${label}: the name is used twice`);
    if (keys.some((k) => k.secret === secret)) throw new ApiKeyFormatError(`API_KEYS ${label}: the secret is the same as another key's`);
    keys.push({ name, scope: scope as Scope, secret });
  });
  return keys;
}

export function grants(scope: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(scope) >= SCOPES.indexOf(needed);
}

/** The configured keys, looked up by secret in constant time: SHA-256 digests compared, so neither content nor length leaks. */
export class ApiKeyring {
  private readonly digests: Array<{ key: ApiKey; digest: Buffer }>;

  constructor(keys: readonly ApiKey[]) {
    this.digests = keys.map((key) => ({ key, digest: sha256(key.secret) }));
  }

  /** False: no keys configured, the API is open (allowed on loopback only). */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  find(secret: string): ApiKey | undefined {
    const digest = sha256(secret);
    let found: ApiKey | undefined;
    // Every key is compared, whichever matches.
    for (const entry of this.digests) if (timingSafeEqual(entry.digest, digest)) found = entry.key;
    return found;
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
