import { ALL_RULES } from "../patterns";
import { CHANGEABLE_SETTINGS } from "../patterns/config-change";
import { MAX_ASSIGNEE_LENGTH, MAX_NOTES_LENGTH, REVIEW_STATUSES } from "../review";
import type { Scope } from "./api-keys";
import { DEFAULT_LIMIT, MAX_LIMIT } from "./detection-filters";
import type { ObjectSchema, Schema } from "./parameters";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * One HTTP route: what it takes, who may call it, what it answers. The api
 * service builds its aliases and checks every request from these, and
 * /api/openapi.json is generated from them.
 */
export interface RouteDefinition {
  readonly method: Method;
  /** OpenAPI style: /api/detections/{id}. */
  readonly path: string;
  readonly summary: string;
  readonly description?: string;
  /** `open`: no key even with API_KEYS (load balancers probe health). */
  readonly access: "open" | Scope;
  readonly pathParameters?: ObjectSchema;
  readonly query?: ObjectSchema;
  readonly headers?: ObjectSchema;
  readonly body?: ObjectSchema;
  /** The media type of a success; JSON when absent. */
  readonly produces?: "text/event-stream" | "text/csv" | "text/html" | "text/plain";
  /** Statuses it answers besides the generic ones (401, 403, 503), with what they mean. */
  readonly responses: Readonly<Record<number, string>>;
  /** A request that works on a running pipeline (ids from the demo data of npm run generate): values for the path, query, headers and body. */
  readonly example?: {
    readonly path?: Readonly<Record<string, string>>;
    readonly query?: Readonly<Record<string, string>>;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: unknown;
  };
}

const PATTERN: Schema = {
  type: "string",
  enum: ALL_RULES.flatMap((r) => [r.patternId, r.actionType]),
  description: "a pattern id or its action type",
};
const TIME = (what: string): Schema => ({ type: "string", format: "date-time", description: what });
/** Where a stream starts: after this detection (0: from the first). */
const STREAM_START: Schema = { type: "string", pattern: "^[0-9]{1,16}$", description: "a detection id" };
const ID: Schema = { type: "string", minLength: 1, maxLength: 1000 };

/** The filters every detection route shares. */
const SELECTION = {
  pattern: PATTERN,
  merchant: { ...ID, description: "a merchant id" },
  customer: { ...ID, description: "a customer id" },
  since: TIME("detected at or after"),
  until: TIME("detected at or before"),
} satisfies Record<string, Schema>;

const REVIEW_STATUS: Schema = { type: "string", enum: REVIEW_STATUSES, description: "where the review stands" };
/** A bigserial id in a path: digits, no leading zero (withId gives each its description). */
const SERIAL_ID: Schema = { type: "string", pattern: "^[1-9][0-9]{0,15}$" };
const DETECTION_ID: Schema = { ...SERIAL_ID, description: "a detection id" };
const orNull = (schema: Schema): Schema => ({ anyOf: [schema, { type: "null" }], description: schema.description });

const NONE: ObjectSchema = { type: "object", properties: {} };
const withId = (description: string, schema: Schema = ID): ObjectSchema => ({
  type: "object",
  properties: { id: { ...schema, description } },
  required: ["id"],
});
const SEQ: Schema = { type: "integer", minimum: 1, description: "a chunk sequence of the ledger" };
const SETTING_VALUE: Schema = { anyOf: [{ type: "string" }, { type: "number" }, { type: "integer" }, { type: "array", items: { type: "string" } }] };

const SETTINGS: ObjectSchema = {
  type: "object",
  properties: Object.fromEntries(CHANGEABLE_SETTINGS.map((name) => [name, name === "disabledPatterns" ? { type: "array", items: PATTERN } : SETTING_VALUE])),
  description: "thresholds and rule switches; decimals as strings keep every digit",
  "x-noun": "setting",
};

const BLACKLIST_ENTRY: ObjectSchema = {
  type: "object",
  // An empty or malformed id is refused by the blacklist's own check, which names the entry.
  properties: { id: { type: "string", description: "a customer id" }, reason: { type: "string", maxLength: 500 } },
  required: ["id"],
};

/** A backtest's candidate: the settings, and a whole blacklist to try. */
const CANDIDATE: ObjectSchema = {
  ...SETTINGS,
  properties: { ...SETTINGS.properties, blacklist: { type: "array", items: BLACKLIST_ENTRY } },
  description: "the settings to try, and optionally a whole blacklist",
};

export const ROUTES: readonly RouteDefinition[] = [
  {
    method: "GET",
    path: "/api/health",
    summary: "Database and S3 reachability, failing work loops, and which node runs which service",
    access: "open",
    query: NONE,
    responses: { 200: "healthy", 503: "degraded: `checks` says what fails" },
  },
  {
    method: "GET",
    path: "/api/detections",
    summary: "Detections, newest first, a page at a time",
    access: "read",
    query: {
      type: "object",
      properties: {
        ...SELECTION,
        status: REVIEW_STATUS,
        limit: { type: "integer", minimum: 1, maximum: MAX_LIMIT, description: `page size (default ${DEFAULT_LIMIT})` },
        cursor: { type: "string", description: "the nextCursor of the previous page" },
      },
    },
    responses: {
      200: "`{items, nextCursor}`; each item with its `review` and `explanation`; CSV as the export with `Accept: text/csv`",
      400: "a bad parameter",
    },
    example: { query: { pattern: "HIGH-VALUE", limit: "10" } },
  },
  {
    method: "GET",
    path: "/api/detections/stream",
    summary: "Server-Sent Events: each detection as it is stored, its id as the event id",
    description: "Starts after the Last-Event-ID header (a reconnecting client sends it), else after `after`, else with what is stored from now on.",
    access: "read",
    query: { type: "object", properties: { ...SELECTION, after: STREAM_START } },
    headers: { type: "object", properties: { "Last-Event-ID": STREAM_START } },
    produces: "text/event-stream",
    responses: { 200: "the stream; it ends only when the client or the node goes", 400: "a bad parameter or Last-Event-ID" },
  },
  {
    method: "GET",
    path: "/api/detections.csv",
    summary: "Every detection the filters select, oldest first, as CSV in the layout of the S3 files",
    description: "Streamed from PostgreSQL in batches: memory stays flat however many rows match.",
    access: "read",
    query: { type: "object", properties: { ...SELECTION, status: REVIEW_STATUS } },
    produces: "text/csv",
    responses: { 200: "the CSV file (`Content-Disposition: attachment`)", 400: "a bad parameter" },
    example: { query: { pattern: "ANOMALY", since: "2026-11-01T00:00:00Z" } },
  },
  {
    method: "GET",
    path: "/api/detections/{id}",
    summary: "One detection with its explanation, its review and the review's audit trail",
    access: "read",
    pathParameters: withId("a detection id", DETECTION_ID),
    query: NONE,
    responses: { 200: "the detection, `review` and `history`", 404: "no such detection" },
    example: { path: { id: "1" } },
  },
  {
    method: "PATCH",
    path: "/api/detections/{id}",
    summary: "Changes a detection's review: status, assignee, notes; every change goes into its audit trail",
    access: "review",
    pathParameters: withId("a detection id", DETECTION_ID),
    body: {
      type: "object",
      properties: {
        status: REVIEW_STATUS,
        assignee: orNull({ type: "string", maxLength: MAX_ASSIGNEE_LENGTH, description: "who works on it" }),
        notes: orNull({ type: "string", maxLength: MAX_NOTES_LENGTH }),
      },
      minProperties: 1,
      description: "any of status, assignee, notes; null clears assignee or notes",
    },
    responses: { 200: "the detection with its new review", 400: "a bad status, an over-long text, an empty change", 404: "no such detection" },
    example: { path: { id: "1" }, body: { status: "confirmed", assignee: "analyst on duty", notes: "customer confirmed the card was stolen" } },
  },
  {
    method: "POST",
    path: "/api/detections/flush",
    summary: "Writes the detections waiting for a full S3 file now",
    access: "admin",
    body: NONE,
    responses: { 200: "the number of files written" },
    example: { body: {} },
  },
  {
    method: "GET",
    path: "/api/stats",
    summary: "Chunks landed, applied and failed, rows, detections per pattern, S3 files",
    access: "read",
    query: NONE,
    responses: { 200: "the pipeline's progress" },
  },
  {
    method: "GET",
    path: "/api/timeline",
    summary: "Per minute, oldest first: detections stored per pattern, chunks and rows applied",
    description: "Only the minutes that had any; what the dashboard's charts show.",
    access: "read",
    query: { type: "object", properties: { minutes: { type: "integer", minimum: 1, maximum: 1440, description: "how far back (default 60)" } } },
    responses: { 200: "`[{at, detections: {PatId1: n, …}, chunks, rows}]`" },
    example: { query: { minutes: "60" } },
  },
  {
    method: "GET",
    path: "/api/merchants/{id}",
    summary: "A merchant's live aggregates and the patterns it fired",
    access: "read",
    pathParameters: withId("a merchant id"),
    query: NONE,
    responses: { 200: "the merchant's figures", 404: "a merchant with no transactions" },
    example: { path: { id: "M1404293960" } },
  },
  {
    method: "GET",
    path: "/api/customers/{id}",
    summary: "A customer's totals over every merchant, its merchants and latest detections",
    access: "read",
    pathParameters: withId("a customer id"),
    query: NONE,
    responses: { 200: "the customer's figures", 404: "a customer with no transactions" },
    example: { path: { id: "C133173363" } },
  },
  {
    method: "GET",
    path: "/api/partitions",
    summary: "Every partition's assigned node, last committer and last applied chunk",
    access: "read",
    query: NONE,
    responses: { 200: "the partitions" },
  },
  {
    method: "GET",
    path: "/api/config",
    summary: "The configuration in force for the next chunk",
    access: "read",
    query: NONE,
    responses: { 200: "thresholds, rules with their switches, the version and the chunk it applies from" },
  },
  {
    method: "PUT",
    path: "/api/config",
    summary: "Changes thresholds and rule switches from the next chunk on",
    access: "admin",
    body: SETTINGS,
    responses: { 200: "the new configuration", 400: "an unknown setting or a bad value" },
    example: { body: { childMinTxns: 60, anomalyZ: "3.5" } },
  },
  {
    method: "GET",
    path: "/api/config/history",
    summary: "Every configuration version, newest first: who, when, from which chunk, what changed",
    access: "read",
    query: NONE,
    responses: { 200: "the versions" },
  },
  {
    method: "GET",
    path: "/api/blacklist",
    summary: "The blacklist in force",
    access: "read",
    query: NONE,
    responses: { 200: "`[{id, reason}]`" },
  },
  {
    method: "POST",
    path: "/api/blacklist",
    summary: "Adds entries to the blacklist (a listed id gets the new reason)",
    access: "admin",
    body: {
      type: "object",
      properties: { ...BLACKLIST_ENTRY.properties, entries: { type: "array", items: BLACKLIST_ENTRY, minItems: 1 } },
      description: 'one entry, `{"id", "reason"}`, or several, `{"entries": [...]}`',
    },
    responses: { 200: "the new configuration", 400: "a bad entry" },
    example: { body: { id: "C133173363", reason: "card reported stolen" } },
  },
  {
    method: "DELETE",
    path: "/api/blacklist/{id}",
    summary: "Takes an id off the blacklist",
    access: "admin",
    pathParameters: withId("a customer id on the blacklist"),
    responses: { 200: "the new configuration", 400: "the id is not on the blacklist" },
    example: { path: { id: "C133173363" } },
  },
  {
    method: "GET",
    path: "/api/alerts/failed",
    summary: "Dead-lettered alert deliveries, newest first",
    access: "read",
    query: { type: "object", properties: { limit: { type: "integer", minimum: 1, maximum: 1000, description: "at most this many (default 100)" } } },
    responses: { 200: "`{items}`" },
    example: { query: { limit: "10" } },
  },
  {
    method: "POST",
    path: "/api/alerts/{id}/redeliver",
    summary: "Puts a dead-lettered delivery back in the queue with its attempts reset",
    access: "admin",
    pathParameters: withId("an alert delivery id", SERIAL_ID),
    body: NONE,
    responses: { 200: "the delivery, pending again", 400: "the delivery is not failed", 404: "no such delivery" },
    example: { path: { id: "1" }, body: {} },
  },
  {
    method: "POST",
    path: "/api/backtests",
    summary: "Replays the applied chunks with a candidate configuration, beside the live one",
    access: "admin",
    body: { type: "object", properties: { candidate: CANDIDATE, from: SEQ, to: SEQ }, required: ["candidate"] },
    responses: { 200: '`{id, status: "running"}` at once', 400: "a bad candidate", 409: "a backtest runs on that node" },
    example: { body: { candidate: { childMinTxns: 60 } } },
  },
  {
    method: "GET",
    path: "/api/backtests",
    summary: "The latest 100 backtests, newest first, without their results",
    access: "read",
    query: NONE,
    responses: { 200: "the backtests" },
  },
  {
    method: "GET",
    path: "/api/backtests/{id}",
    summary: "One backtest, with its result once done",
    access: "read",
    pathParameters: withId("a backtest id", SERIAL_ID),
    query: NONE,
    responses: { 200: "the backtest", 404: "no such backtest" },
    example: { path: { id: "1" } },
  },
  {
    method: "GET",
    path: "/api/openapi.json",
    summary: "This description of the API (OpenAPI 3.1)",
    access: "read",
    query: NONE,
    responses: { 200: "the OpenAPI document" },
  },
  {
    method: "GET",
    path: "/api/docs",
    summary: "The API's documentation, rendered from /api/openapi.json",
    access: "read",
    query: NONE,
    produces: "text/html",
    responses: { 200: "the page" },
  },
  {
    method: "GET",
    path: "/metrics",
    summary: "The pipeline's metrics in the Prometheus text format (0.0.4)",
    description: "Counted on every node (labelled `node`) and read from PostgreSQL at each scrape; the README lists each metric.",
    access: "read",
    query: NONE,
    produces: "text/plain",
    responses: { 200: "the metrics" },
  },
  {
    method: "GET",
    path: "/",
    summary: "The dashboard",
    access: "read",
    query: NONE,
    produces: "text/html",
    responses: { 200: "the page" },
  },
];

/** The key of a route in the api service's table of handlers: `GET /api/detections/{id}`. */
export function routeKey(route: Pick<RouteDefinition, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

/** The definition of `method path`; a name that is not defined is a programming error. */
export function definedRoute(method: Method, path: string): RouteDefinition {
  const route = ROUTES.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no route ${method} ${path} in src/api/routes.ts`);
  return route;
}
