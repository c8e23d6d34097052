import { readFileSync } from "node:fs";
import { runPeer, peerDetections } from "../../src/bench/peer";
import { loadConfig } from "../../src/config";
import { generate } from "../../src/demo/generator";
import { SCALED_ENV, SCALED_THRESHOLDS, TEST_CHUNK_ROWS } from "../support/expectations";
import { freshDatabase, tempDir } from "../support/infra";
import { detectionKey, referenceDetections } from "../support/reference";

describe("the bench's plain-PostgreSQL peer", () => {
  it("finds exactly the SPEC.md detections, each after the same chunk, skipping the bad rows", async () => {
    const files = await generate({ rows: 24_000, seed: 7, outDir: tempDir(), dirty: 0.01, customers: 300, merchants: 12 });
    const reference = referenceDetections(readFileSync(files.transactions, "utf8"), readFileSync(files.importance, "utf8"), TEST_CHUNK_ROWS, SCALED_THRESHOLDS);
    const databaseUrl = await freshDatabase();

    const run = await runPeer({
      databaseUrl,
      source: files.transactions,
      importance: files.importance,
      chunkRows: TEST_CHUNK_ROWS,
      thresholds: loadConfig(SCALED_ENV, []).thresholds,
    });

    expect(run.chunks).toBe(reference.chunks);
    expect(run.rows).toBe(files.rows + files.dirtyRows);
    expect(new Set(reference.detections.map((d) => d.patternId))).toEqual(new Set(["PatId1", "PatId2", "PatId3"]));
    expect((await peerDetections(databaseUrl)).map(detectionKey).sort()).toEqual(reference.detections.map(detectionKey).sort());
  });
});
