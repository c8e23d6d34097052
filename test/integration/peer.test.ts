import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runPeer, peerDetections } from "../../src/bench/peer";
import { loadConfig } from "../../src/config";
import { SCALED_ENV, SCALED_THRESHOLDS, TEST_CHUNK_ROWS, scaledCase } from "../support/expectations";
import { freshDatabase, tempDir } from "../support/infra";
import { detectionKey, referenceDetections } from "../support/reference";

describe("the bench's plain-PostgreSQL peer", () => {
  it("finds exactly the SPEC.md detections of all six patterns, each with the same chunk (and line), skipping the bad rows", async () => {
    const { files, blacklist, reference } = await scaledCase(24_000, 7, 0.01);
    const databaseUrl = await freshDatabase();

    const run = await runPeer({
      databaseUrl,
      source: files.transactions,
      importance: files.importance,
      chunkRows: TEST_CHUNK_ROWS,
      thresholds: { ...loadConfig(SCALED_ENV, []).thresholds, blacklist: blacklist.thresholds.blacklist.map((id) => ({ id, reason: "test" })) },
    });

    expect(run.chunks).toBe(reference.chunks);
    expect(run.rows).toBe(files.rows + files.dirtyRows);
    expect(new Set(reference.detections.map((d) => d.patternId))).toEqual(new Set(["PatId1", "PatId2", "PatId3", "PatId4", "PatId5", "PatId6"]));
    const counts: Record<string, number> = {};
    for (const d of reference.detections) counts[d.patternId] = (counts[d.patternId] ?? 0) + 1;
    expect(run.detections).toEqual(counts);
    const peer = await peerDetections(databaseUrl);
    expect(peer.map(detectionKey).sort()).toEqual(reference.detections.map(detectionKey).sort());
    // The amount each PatId4–6 detection carries is the row's, as written.
    const amounts = new Map(reference.detections.filter((d) => d.line !== undefined).map((d) => [detectionKey(d), d.amount]));
    expect(peer.filter((d) => d.line !== undefined).map((d) => [detectionKey(d), d.amount])).toEqual(
      peer.filter((d) => d.line !== undefined).map((d) => [detectionKey(d), amounts.get(detectionKey(d))]),
    );
  });

  it("numbers each row by its line in its chunk object, with quoted line breaks, blank lines and bad records across chunk boundaries", async () => {
    const dir = tempDir();
    const row = (customer: string, merchant: string, amount: string, category = "es_food"): string =>
      `0,${customer},3,M,28007,${merchant},28007,${category},${amount},0`;
    const source = [
      "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud",
      row("C1", "M1", "10.50", '"es_\nfood"'),
      row("C1", "M1", "11"),
      "",
      row("C1", "M2", "12"),
      row("C2", "M2", "500.00", '"x\r\ny\nz"'),
      row("C1", "M1", "bad"),
      row("C1", "M1", "900"),
      "",
      "",
      row("C2", "M1", "7", '"one\n\ntwo"'),
      row("C1", "M1", "12.000"),
      '0,C1,3,M,28007,M1,28007,"es_food"x,13,0',
      row("C1", "M3", "1000.5"),
      row("C2", "M1", "8"),
      row("C2", "M1", "9", '"a\nb"'),
      row("C2", "M1", "1000"),
      "",
    ].join("\n");
    const files = { transactions: path.join(dir, "transactions.csv"), importance: path.join(dir, "CustomerImportance.csv") };
    writeFileSync(files.transactions, source);
    writeFileSync(files.importance, "Source,Target,Weight,typeTrans,fraud\n'C1','M1',1.5,'es_food',0\n");
    const rules = { highValueMinAmount: "100", anomalyMinHistory: 3, anomalyZ: "1.5" };
    const reference = referenceDetections(source, readFileSync(files.importance, "utf8"), 3, { ...SCALED_THRESHOLDS, ...rules, blacklist: ["M2"] });
    const databaseUrl = await freshDatabase();

    const run = await runPeer({
      databaseUrl,
      source: files.transactions,
      importance: files.importance,
      chunkRows: 3,
      thresholds: { ...loadConfig(SCALED_ENV, []).thresholds, ...rules, blacklist: [{ id: "M2", reason: "test" }] },
    });

    expect(run.chunks).toBe(reference.chunks);
    expect(new Set(reference.detections.map((d) => d.patternId))).toEqual(new Set(["PatId4", "PatId5", "PatId6"]));
    expect((await peerDetections(databaseUrl)).map(detectionKey).sort()).toEqual(reference.detections.map(detectionKey).sort());
  });
});
