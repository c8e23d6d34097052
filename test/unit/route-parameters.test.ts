import { checkRouteRequest, RequestRefused } from "../../src/api/request-checks";
import { ROUTES, type RouteDefinition } from "../../src/api/routes";

const route = (method: string, path: string): RouteDefinition => ROUTES.find((r) => r.method === method && r.path === path)!;

function refusal(
  r: RouteDefinition,
  values: { query?: Record<string, unknown>; path?: Record<string, unknown>; headers?: Record<string, string>; body?: unknown },
) {
  try {
    checkRouteRequest(r, { query: values.query ?? {}, path: values.path ?? {}, headers: values.headers ?? {}, body: values.body });
  } catch (err) {
    if (err instanceof RequestRefused) return { status: err.status, type: err.type, message: err.message };
    throw err;
  }
  return undefined;
}

describe("requests checked against their route's definition", () => {
  const list = route("GET", "/api/detections");

  it("accepts what the list takes", () => {
    expect(refusal(list, { query: { pattern: "CHILD", limit: "1000", since: "2026-11-23T10:00:00+05:30", merchant: "M1" } })).toBeUndefined();
    expect(refusal(list, { query: { limit: "" } })).toBeUndefined();
  });

  it.each([
    [{ limit: "0" }, 'limit must be an integer from 1 to 1000; got "0"'],
    [{ limit: "1e3" }, 'limit must be an integer from 1 to 1000; got "1e3"'],
    [
      { pattern: "PatId9" },
      'pattern must be one of PatId1, UPGRADE, PatId2, CHILD, PatId3, DEI-NEEDED, PatId4, HIGH-VALUE, PatId5, BLACKLISTED, PatId6, ANOMALY; got "PatId9"',
    ],
    [{ since: "2026-13-45" }, 'since must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30; got "2026-13-45"'],
    [{ merchant: ["a", "b"] }, 'merchant must be given once; got ["a","b"]'],
    [{ colour: "red" }, 'unknown parameter "colour"; use pattern, merchant, customer, since, until, status, limit, cursor'],
    [{ since: "x".repeat(100) }, `since must be an ISO-8601 time such as 2026-11-23T10:00:00+05:30; got "${"x".repeat(59)}…`],
  ])("refuses the query %j: %s", (query, message) => {
    expect(refusal(list, { query })).toEqual({ status: 400, type: "INVALID_QUERY", message });
  });

  it("checks declared headers, path parameters and bodies, naming what is wrong", () => {
    expect(refusal(route("GET", "/api/detections/stream"), { headers: { "last-event-id": "x1" } })?.message).toBe(
      'Last-Event-ID must be a detection id; got "x1"',
    );
    expect(refusal(route("GET", "/api/backtests/{id}"), { path: { id: "0" } })?.message).toBe('id must be a backtest id; got "0"');
    const config = route("PUT", "/api/config");
    expect(refusal(config, { body: { childMinTxns: 60, anomalyZ: "3.5", disabledPatterns: ["PatId6"] } })).toBeUndefined();
    expect(refusal(config, { body: { childMinTxn: 3 } })).toMatchObject({
      status: 400,
      type: "INVALID_BODY",
      message: expect.stringContaining('unknown setting "childMinTxn"; use') as string,
    });
    expect(refusal(config, { body: { disabledPatterns: ["PatId9"] } })?.message).toContain("disabledPatterns[0] must be one of PatId1");
    const backtest = route("POST", "/api/backtests");
    expect(refusal(backtest, { body: {} })?.message).toBe("candidate is required");
    expect(refusal(backtest, { body: { candidate: { childMinTxn: 3 } } })?.message).toContain('unknown setting "childMinTxn" in candidate');
    expect(refusal(route("POST", "/api/detections/flush"), { body: { now: true } })?.message).toBe('unknown property "now"; it takes none');
    expect(refusal(route("GET", "/api/stats"), { query: { x: "1" } })?.message).toBe('unknown parameter "x"; it takes none');
  });

  it("requires at least one field of a review change", () => {
    expect(refusal(route("PATCH", "/api/detections/{id}"), { path: { id: "1" }, body: {} })?.message).toBe(
      "the request takes at least one of status, assignee, notes",
    );
  });
});
