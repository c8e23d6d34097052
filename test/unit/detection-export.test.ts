import { acceptsCsvFirst } from "../../src/api/detection-export";

describe("Accept: which answer GET /api/detections gives", () => {
  it.each([
    ["text/csv", true],
    ["text/csv; charset=utf-8", true],
    ["application/json, text/csv;q=0.5", false],
    ["text/csv;q=0.9, application/json;q=0.5", true],
    ["application/json, text/csv", false],
    ["text/csv, */*", true],
    ["*/*", false],
    ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false],
    ["text/csv;q=0", false],
    [undefined, false],
  ])("%j: CSV %p", (accept, csv) => {
    expect(acceptsCsvFirst(accept)).toBe(csv);
  });
});
