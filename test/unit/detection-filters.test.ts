import { encodeCursor, parseDetectionFilters, parseExportFilters, parseStreamFilters } from "../../src/api/detection-filters";

// Names, types and ranges are checked against the route's schema first (test/unit/route-parameters.test.ts).
describe("GET /api/detections parameters", () => {
  it("accepts pattern ids and action types", () => {
    expect(parseDetectionFilters({ pattern: "PatId2" }).patternId).toBe("PatId2");
    expect(parseDetectionFilters({ pattern: "DEI-NEEDED" }).patternId).toBe("PatId3");
  });

  it("takes back the largest cursor it can return", () => {
    expect(parseDetectionFilters({ cursor: encodeCursor(Number.MAX_SAFE_INTEGER) }).beforeId).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("reads limits, times and cursors", () => {
    const f = parseDetectionFilters({ limit: "5", since: "2026-11-23T10:00:00+05:30", cursor: encodeCursor(42), merchant: "M1" });
    expect(f).toMatchObject({ limit: 5, beforeId: 42, merchant: "M1" });
    expect(f.since?.toISOString()).toBe("2026-11-23T04:30:00.000Z");
    expect(parseDetectionFilters({}).limit).toBe(100);
  });

  it.each([
    [{ since: "2026-11-24", until: "2026-11-23" }, "since must not be after until"],
    [{ cursor: "bm9wZQ" }, "cursor is not one this API returned"],
    [{ cursor: "A".repeat(10_000) }, "cursor is not one this API returned"],
    [{ cursor: Buffer.from(`d:${"9".repeat(20)}`).toString("base64url") }, "cursor is not one this API returned"],
  ])("rejects %j: %s", (query, message) => {
    expect(() => parseDetectionFilters(query)).toThrow(message);
  });

  it("the export takes the same filters and no paging", () => {
    expect(parseExportFilters({ pattern: "CHILD", status: "confirmed", merchant: "M1" })).toEqual({
      patternId: "PatId2",
      merchant: "M1",
      customer: undefined,
      since: undefined,
      until: undefined,
      status: "confirmed",
    });
  });
});

describe("GET /api/detections/stream parameters", () => {
  it("starts after the Last-Event-ID a reconnecting client sends, over the `after` of its first request", () => {
    expect(parseStreamFilters({ after: "5", merchant: "M1" }, "42")).toMatchObject({ afterId: 42, selection: { merchant: "M1" } });
    expect(parseStreamFilters({ after: "5" }, undefined).afterId).toBe(5);
    expect(parseStreamFilters({}, undefined).afterId).toBeUndefined();
  });
});
