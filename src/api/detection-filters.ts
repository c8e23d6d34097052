import { ALL_RULES, ruleByPatternOrAction } from "../patterns";
import type { DetectionQuery } from "../storage/detection-query";

/** A query parameter that cannot be used; becomes a 400 with this message. */
export class InvalidQueryError extends Error {
  override name = "InvalidQueryError";
}

export type DetectionFilters = DetectionQuery;

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const KNOWN = new Set(["pattern", "merchant", "customer", "since", "until", "limit", "cursor"]);

/** Validates GET /api/detections query parameters. */
export function parseDetectionFilters(query: Readonly<Record<string, unknown>>): DetectionFilters {
  for (const name of Object.keys(query)) {
    if (!KNOWN.has(name)) throw new InvalidQueryError(`unknown parameter "${name}"; use ${[...KNOWN].join(", ")}`);
  }
  const text = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined || v === "") return undefined;
    if (typeof v !== "string") throw new InvalidQueryError(`parameter "${name}" must be given once`);
    return v;
  };
  const pattern = text("pattern");
  const rule = pattern === undefined ? undefined : ruleByPatternOrAction(pattern);
  if (pattern !== undefined && !rule) {
    throw new InvalidQueryError(`pattern must be one of ${ALL_RULES.map((r) => `${r.patternId} (${r.actionType})`).join(", ")}; got "${pattern}"`);
  }
  const limitText = text("limit");
  const limit = limitText === undefined ? DEFAULT_LIMIT : /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new InvalidQueryError(`limit must be an integer from 1 to ${MAX_LIMIT}; got "${limitText}"`);
  const since = time(text("since"), "since");
  const until = time(text("until"), "until");
  if (since && until && since > until) throw new InvalidQueryError("since must not be after until");
  const cursor = text("cursor");
  return {
    patternId: rule?.patternId,
    merchant: text("merchant"),
    customer: text("customer"),
    since,
    until,
    limit,
    beforeId: cursor === undefined ? undefined : decodeCursor(cursor),
  };
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
