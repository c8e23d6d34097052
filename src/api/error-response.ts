import { RequestRefused } from "./request-checks";

export interface ErrorResponse {
  readonly status: number;
  readonly body: { readonly error: { readonly type: string; readonly message: string } };
  /** A fault of the service, not of the request: worth a log line. */
  readonly fault: boolean;
}

export const MAX_BODY_BYTES = 64 * 1024;

/** What the body parser's errors (http-errors) mean, said plainly. */
const BODY_ERRORS: Record<string, { type: string; message: string }> = {
  "entity.parse.failed": { type: "INVALID_JSON", message: "the body is not valid JSON" },
  "entity.too.large": { type: "BODY_TOO_LARGE", message: `the body is larger than ${MAX_BODY_BYTES / 1024} kB` },
};

const SERVER_MESSAGES: Record<number, string> = {
  503: "a service this request needs is not available; try again",
  504: "the request timed out; try again",
};

/**
 * The response to an error: 4xx errors keep their type and message, anything
 * else becomes a bare status with a generic message; never a stack trace or
 * an error's data (but what parameter validation found wrong).
 */
export function errorResponse(err: unknown): ErrorResponse {
  if (err instanceof RequestRefused) return response(err.status, err.type, err.message);
  const e = (err ?? {}) as { code?: unknown; status?: unknown; type?: unknown; name?: unknown; message?: unknown; data?: unknown };
  const status = [e.code, e.status].find((s): s is number => typeof s === "number" && s >= 400 && s <= 599) ?? 500;
  if (status < 500) {
    const known = typeof e.type === "string" ? BODY_ERRORS[e.type] : undefined;
    if (known) return response(status, known.type, known.message);
    // Moleculer's parameter validation (a 422): a bad request like any other, saying what is wrong with each parameter.
    if (e.type === "VALIDATION_ERROR" && Array.isArray(e.data) && e.data.length > 0) {
      return response(400, e.type, (e.data as Array<{ message?: unknown }>).map((d) => String(d.message)).join(" "));
    }
    return response(
      status,
      typeof e.type === "string" && e.type ? e.type : typeof e.name === "string" ? e.name : "BAD_REQUEST",
      typeof e.message === "string" ? e.message : "bad request",
    );
  }
  return {
    ...response(status, status === 500 ? "INTERNAL_ERROR" : typeof e.type === "string" ? e.type : "SERVER_ERROR", SERVER_MESSAGES[status] ?? "internal error"),
    fault: true,
  };
}

function response(status: number, type: string, message: string): ErrorResponse {
  return { status, body: { error: { type, message } }, fault: false };
}
