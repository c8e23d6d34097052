import { parseBlacklist } from "../../src/patterns/blacklist";

const parse = (lines: string[], eol = "\n") => parseBlacklist(lines.join(eol), "test.csv");
const entries = async (lines: string[], eol = "\n") => Object.fromEntries(await parse(lines, eol));

describe("parseBlacklist", () => {
  it("reads ids and reasons quoted with single quotes, double quotes or none", async () => {
    expect(await entries(["id,reason", "C1,fraud", "'C2','chargeback'", `"M3","stolen card"`, `'C4',"mixed"`, ""])).toEqual({
      C1: "fraud",
      C2: "chargeback",
      M3: "stolen card",
      C4: "mixed",
    });
  });

  it("reads a quoted header, in any column order, with extra columns", async () => {
    expect(await entries([`"reason",'id',"added"`, "why,C1,2024"])).toEqual({ C1: "why" });
    expect(await entries([`"id","reason"`, "C1,x"])).toEqual({ C1: "x" });
  });

  it("keeps commas, doubled quotes and line breaks inside a double-quoted field", async () => {
    expect(await entries(["id,reason", `C1,"card, stolen"`, `"C,2","said ""no"""`, `C3,"two`, `lines"`])).toEqual({
      C1: "card, stolen",
      "C,2": 'said "no"',
      C3: "two\nlines",
    });
  });

  it("reads CRLF line ends, a byte order mark and blank lines", async () => {
    expect(await entries(["\ufeffid,reason", "C1,a", "", "C2,b", ""], "\r\n")).toEqual({ C1: "a", C2: "b" });
  });

  it("gives an empty reason when there is no reason column or the field is empty", async () => {
    expect(await entries(["id", "C1", "'C2'"])).toEqual({ C1: "", C2: "" });
    expect(await entries(["id,reason", "C1,", `C2,""`])).toEqual({ C1: "", C2: "" });
  });

  it("keeps the last reason of a duplicate id", async () => {
    expect(await entries(["id,reason", "C1,first", "C2,other", "'C1',last"])).toEqual({ C1: "last", C2: "other" });
  });

  it("reads a header alone as an empty blacklist", async () => {
    expect((await parse(["id,reason"])).size).toBe(0);
  });

  it("rejects a file without a usable header", async () => {
    await expect(parse([])).rejects.toThrow("blacklist test.csv: no header");
    await expect(parse(["", ""])).rejects.toThrow("blacklist test.csv: no header");
    await expect(parse(["customer,reason", "C1,x"])).rejects.toThrow(/^blacklist test\.csv line 1: missing required columns: id/);
  });

  it.each([
    ["an empty id", ["id,reason", "C1,a", ",b"], "line 3: empty id"],
    ["a quoted empty id", ["id,reason", "'',b"], "line 2: empty id"],
    ["too few fields", ["id,reason", "C1,a", "C2"], "line 3: expected 2 fields, got 1"],
    ["too many fields", ["id,reason", "C1,a,b"], "line 2: expected 2 fields, got 3"],
    ["an unquoted comma in the reason", ["id,reason", "C1,card, stolen"], "line 2: expected 2 fields, got 3"],
    ["a control character in the id", ["id,reason", "C1,a", "", "C\u00012,b"], "line 4: id contains a control character"],
    ["a line break in a quoted id", ["id,reason", `"C`, `1",a`], "line 2: id contains a control character"],
    ["an id longer than 256 bytes", ["id,reason", `${"é".repeat(129)},a`], "line 2: id is longer than 256 bytes"],
    ["an unterminated quote", ["id,reason", "C1,a", `C2,"open`], "line 3: unterminated quoted field"],
    ["characters after a closing quote", ["id,reason", `"C1"x,a`], "line 2: characters after a closing quote"],
  ])("rejects %s, naming the source and the line", async (_, lines, message) => {
    await expect(parse(lines)).rejects.toThrow(`blacklist test.csv ${message}`);
  });

  it("accepts an id of exactly 256 bytes", async () => {
    const id = "é".repeat(128);
    expect((await parse(["id,reason", `${id},a`])).get(id)).toBe("a");
  });
});
