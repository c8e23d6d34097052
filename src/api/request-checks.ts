import { isLoopback } from "../config";
import { printable } from "../csv/fields";
import { grants, type ApiKey, type ApiKeyring, type Scope } from "./api-keys";
import { checkObject, ParameterError, type ObjectSchema } from "./parameters";
import type { RouteDefinition } from "./routes";

/** Why a request is refused, as the HTTP status and a message for the client. */
export class RequestRefused extends Error {
  override name = "RequestRefused";
  constructor(
    readonly status: 400 | 401 | 403 | 405 | 415,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function changesState(method: string): boolean {
  return STATE_CHANGING.has(method.toUpperCase());
}

/** The scope a route needs, from its definition; health needs none, and never reaches here. */
export function requiredScope(route: Pick<RouteDefinition, "access">): Scope {
  return route.access === "open" ? "read" : route.access;
}

/** The secret in `Authorization: Bearer <secret>`, or the password of `Basic` (how a browser sends it for the dashboard). */
export function presentedSecret(authorization: string | undefined): string | undefined {
  const m = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (!m) return undefined;
  if (m[1].toLowerCase() === "bearer") return m[2];
  const decoded = Buffer.from(m[2], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * The key a request to `route` is made with, when the keyring allows it;
 * undefined for a read when no keys are configured. Refused: 401 without a
 * known key, 403 when its scope is too small, and 403 for any change of state
 * when no keys are configured (default-deny: without keys the API only reads).
 */
export function authorize(keyring: ApiKeyring, authorization: string | undefined, route: Pick<RouteDefinition, "method" | "access">): ApiKey | undefined {
  const needed = requiredScope(route);
  if (!keyring.enabled) {
    if (!changesState(route.method)) return undefined;
    throw new RequestRefused(
      403,
      "FORBIDDEN",
      `changing state needs ${needed === "admin" ? "an" : "a"} ${needed} API key: set API_KEYS (name:${needed}:secret); without keys the API only reads (the REPL and npm run backtest work without)`,
    );
  }
  const secret = presentedSecret(authorization);
  const key = secret === undefined ? undefined : keyring.find(secret);
  if (!key) throw new RequestRefused(401, "UNAUTHORIZED", secret === undefined ? "an API key is required (Authorization: Bearer <secret>)" : "unknown API key");
  if (!grants(key.scope, needed)) throw new RequestRefused(403, "FORBIDDEN", `API key "${key.name}" has scope ${key.scope}; this request needs ${needed}`);
  return key;
}

/**
 * Without API keys the API listens on loopback only and reads are open, yet a
 * web page the user opens could still reach it by DNS rebinding (its own name
 * made to resolve to 127.0.0.1): such a request carries that name in Host, so
 * without keys only loopback names are served. With keys, the key admits a
 * request, whatever name it used (a proxy's, a load balancer's).
 */
export function checkHost(keysConfigured: boolean, host: string | undefined): void {
  // A request without Host cannot come from a browser (Node's server refuses an HTTP/1.1 one): curl -H 'Host:' may.
  if (keysConfigured || host === undefined) return;
  const name = (host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0]).toLowerCase().replace(/\.$/, "");
  if (isLoopback(name) || name.endsWith(".localhost")) return;
  throw new RequestRefused(
    403,
    "FORBIDDEN_HOST",
    `Host "${printable(host, 100)}" is not a loopback name: without API_KEYS the API answers requests to localhost, *.localhost, 127.0.0.1 or [::1] only`,
  );
}

/**
 * Requests with a body that change state take JSON only, so that no cross-site
 * form can post one. A DELETE has no body, and no form can send one.
 */
export function checkContentType(method: string, contentType: string | undefined): void {
  if (!changesState(method) || method.toUpperCase() === "DELETE") return;
  const type = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    throw new RequestRefused(
      415,
      "UNSUPPORTED_MEDIA_TYPE",
      `${method.toUpperCase()} requests need Content-Type: application/json${type ? `, got "${type}"` : ""}`,
    );
  }
}

/** Request parameters (query, path, body) must not carry NUL characters: PostgreSQL text cannot hold them. */
export function checkNoNul(params: unknown, where = "parameter"): void {
  if (typeof params === "string") {
    if (params.includes("\u0000")) throw new RequestRefused(400, "INVALID_PARAMETER", `${where} contains a NUL character`);
  } else if (Array.isArray(params)) {
    params.forEach((p) => checkNoNul(p, where));
  } else if (params !== null && typeof params === "object") {
    for (const [name, value] of Object.entries(params)) {
      if (name.includes("\u0000")) throw new RequestRefused(400, "INVALID_PARAMETER", "a parameter name contains a NUL character");
      checkNoNul(value, `parameter "${name}"`);
    }
  }
}

/** What a request carries, as the gateway parsed it. */
export interface RequestValues {
  readonly query: Readonly<Record<string, unknown>>;
  readonly path: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

const NO_VALUES: ObjectSchema = { type: "object", properties: {} };

/** Checks a request against its route's definition (src/api/routes.ts): the same schemas /api/openapi.json shows. */
export function checkRouteRequest(route: RouteDefinition, request: RequestValues): void {
  try {
    checkObject(route.pathParameters ?? NO_VALUES, request.path, { noun: "path parameter", fromText: true });
    checkObject(route.query ?? NO_VALUES, request.query, { noun: "parameter", fromText: true });
    const headers = route.headers ?? NO_VALUES;
    const declared = Object.keys(headers.properties).filter((name) => request.headers[name.toLowerCase()] !== undefined);
    checkObject(headers, Object.fromEntries(declared.map((name) => [name, request.headers[name.toLowerCase()]])), { noun: "header", fromText: true });
  } catch (err) {
    if (err instanceof ParameterError) throw new RequestRefused(400, "INVALID_QUERY", err.message);
    throw err;
  }
  const body = request.body ?? {};
  try {
    if (route.body) checkObject(route.body, body as Record<string, unknown>, { noun: "property", fromText: false });
    else if (typeof body === "object" && Object.keys(body).length > 0) throw new ParameterError(`${route.method} ${route.path} takes no body`);
  } catch (err) {
    if (err instanceof ParameterError) throw new RequestRefused(400, "INVALID_BODY", err.message);
    throw err;
  }
}
