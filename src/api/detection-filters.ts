import { ruleByPatternOrAction } from "../patterns";
import type { ReviewStatus } from "../review";
import type { DetectionQuery, DetectionSelection } from "../storage/detection-query";
import { RequestRefused } from "./request-checks";

/** A query the route's definition allows but that cannot be used together (a 400). */
const invalidQuery = (message: string): RequestRefused => new RequestRefused(400, "INVALID_QUERY", message);

export type DetectionFilters = DetectionQuery;

/** Where a stream of detections starts: after `afterId` (the Last-Event-ID), or, when absent, after the newest one. */
export interface StreamFilters {
  readonly selection: DetectionSelection;
  readonly afterId: number | undefined;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Query values as the gateway passes them: text, already checked against the route's schema (src/api/routes.ts). */
type Query = Readonly<Record<string, unknown>>;

const text = (query: Query, name: string): string | undefined => {
  const v = query[name];
  return typeof v === "string" && v !== "" ? v : undefined;
};

/** GET /api/detections: the page the parameters ask for. */
export function parseDetectionFilters(query: Query): DetectionFilters {
  const limit = text(query, "limit");
  const cursor = text(query, "cursor");
  return { ...selection(query), limit: limit === undefined ? DEFAULT_LIMIT : Number(limit), beforeId: cursor === undefined ? undefined : decodeCursor(cursor) };
}

/** The export's filters: the list's, no paging (the list's own route takes `limit` and `cursor` and answers CSV when asked). */
export function parseExportFilters(query: Query): DetectionSelection {
  const paging = ["limit", "cursor"].filter((name) => query[name] !== undefined);
  if (paging.length > 0) throw invalidQuery(`${paging.join(" and ")} page the JSON list; the CSV export has every detection the filters select`);
  return selection(query);
}

/**
 * GET /api/detections/stream: the list's filters, and where to start: the
 * Last-Event-ID header a reconnecting client sends, else `after`.
 */
export function parseStreamFilters(query: Query, lastEventId: string | undefined): StreamFilters {
  const start = lastEventId || text(query, "after");
  return { selection: selection(query), afterId: start === undefined ? undefined : Number(start) };
}

function selection(query: Query): DetectionSelection {
  const pattern = text(query, "pattern");
  const since = time(text(query, "since"));
  const until = time(text(query, "until"));
  if (since && until && since > until) throw invalidQuery("since must not be after until");
  return {
    patternId: pattern === undefined ? undefined : ruleByPatternOrAction(pattern)?.patternId,
    merchant: text(query, "merchant"),
    customer: text(query, "customer"),
    since,
    until,
    status: text(query, "status") as ReviewStatus | undefined,
  };
}

function time(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}

export function encodeCursor(id: number): string {
  return Buffer.from(`d:${id}`).toString("base64url");
}

// base64url of "d:" and a safe integer's 16 digits.
const MAX_CURSOR_LENGTH = 24;

function decodeCursor(cursor: string): number {
  const m = cursor.length <= MAX_CURSOR_LENGTH ? /^d:(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id)) throw invalidQuery("cursor is not one this API returned");
  return id;
}
