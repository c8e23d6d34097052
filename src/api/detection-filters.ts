import { ALL_RULES, ruleByPatternOrAction } from "../patterns";
import { REVIEW_STATUSES, type ReviewStatus } from "../review";
import type { DetectionQuery, DetectionSelection } from "../storage/detection-query";

/** A query parameter that cannot be used; becomes a 400 with this message. */
export class InvalidQueryError extends Error {
  override name = "InvalidQueryError";
}

export type DetectionFilters = DetectionQuery;

/** Where a stream of detections starts: after `afterId` (the Last-Event-ID), or, when absent, after the newest one. */
export interface StreamFilters {
  readonly selection: DetectionSelection;
  readonly afterId: number | undefined;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const SELECTION = ["pattern", "merchant", "customer", "since", "until", "status"];
const PAGE = new Set([...SELECTION, "limit", "cursor"]);
const EXPORT = new Set(SELECTION);
const STREAM = new Set([...SELECTION, "after"]);

type Text = (name: string) => string | undefined;

/** A reader of single-valued text parameters, after refusing any parameter not in `known`. */
function parameters(query: Readonly<Record<string, unknown>>, known: ReadonlySet<string>): Text {
  for (const name of Object.keys(query)) {
    if (!known.has(name)) throw new InvalidQueryError(`unknown parameter "${name}"; use ${[...known].join(", ")}`);
  }
  return (name) => {
    const v = query[name];
    if (v === undefined || v === "") return undefined;
    if (typeof v !== "string") throw new InvalidQueryError(`parameter "${name}" must be given once`);
    return v;
  };
}

/** Validates GET /api/detections query parameters. */
export function parseDetectionFilters(query: Readonly<Record<string, unknown>>): DetectionFilters {
  const text = parameters(query, PAGE);
  const limitText = text("limit");
  const limit = limitText === undefined ? DEFAULT_LIMIT : /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_LIMIT}; got "${limitText}"`);
  const cursor = text("cursor");
  return { ...selection(text), limit, beforeId: cursor === undefined ? undefined : decodeCursor(cursor) };
}

/** Validates the query parameters of the export: the list's filters, no paging. */
export function parseExportFilters(query: Readonly<Record<string, unknown>>): DetectionSelection {
  return selection(parameters(query, EXPORT));
}

/**
 * Validates GET /api/detections/stream: the list's filters, and where to
 * start: the Last-Event-ID header a reconnecting client sends, else `after`.
 */
export function parseStreamFilters(query: Readonly<Record<string, unknown>>, lastEventId: string | undefined): StreamFilters {
  const text = parameters(query, STREAM);
  const start = lastEventId ?? text("after");
  const afterId = start === undefined || start === "" ? undefined : /^\d{1,16}$/.test(start) ? Number(start) : NaN;
  if (afterId !== undefined && !Number.isSafeInteger(afterId)) {
    throw new InvalidQueryError(`${lastEventId === undefined ? "after" : "Last-Event-ID"} must be a detection id (digits); got "${start}"`);
  }
  return { selection: selection(text), afterId };
}

function selection(text: Text): DetectionSelection {
  const pattern = text("pattern");
  const rule = pattern === undefined ? undefined : ruleByPatternOrAction(pattern);
  if (pattern !== undefined && !rule) {
    throw new InvalidQueryError(`pattern must be one of ${ALL_RULES.map((r) => `${r.patternId} (${r.actionType})`).join(", ")}; got "${pattern}"`);
  }
  const since = time(text("since"), "since");
  const until = time(text("until"), "until");
  if (since && until && since > until) throw new InvalidQueryError("since must not be after until");
  const status = text("status");
  if (status !== undefined && !(REVIEW_STATUSES as readonly string[]).includes(status)) {
    throw new InvalidQueryError(`status must be one of ${REVIEW_STATUSES.join(", ")}; got "${status}"`);
  }
  return { patternId: rule?.patternId, merchant: text("merchant"), customer: text("customer"), since, until, status: status as ReviewStatus | undefined };
}

function time(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidQueryError(`${name} must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30; got "${value}"`);
  }
  return date;
}

export function encodeCursor(id: number): string {
  return Buffer.from(`d:${id}`).toString("base64url");
}

// base64url of "d:" and a safe integer's 16 digits.
const MAX_CURSOR_LENGTH = 24;

function decodeCursor(cursor: string): number {
  const m = cursor.length <= MAX_CURSOR_LENGTH ? /^d:(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("utf8")) : null;
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id)) throw new InvalidQueryError("cursor is not one this API returned");
  return id;
}
