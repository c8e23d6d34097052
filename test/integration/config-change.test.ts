import { readFileSync } from "node:fs";
import { generate } from "../../src/demo/generator";
import { detectionsInDb, expectExactResult, keyWithAmount, SCALED_ENV, SCALED_THRESHOLDS, scaledBlacklist, TEST_CHUNK_ROWS } from "../support/expectations";
import { freshBucket, freshDatabase, tempDir } from "../support/infra";
import { pipelineEnv, query, startProgram, waitFor } from "../support/pipeline";
import { referenceDetections, type ReferenceThresholds } from "../support/reference";

interface VersionRow {
  version: number;
  fromSeq: number;
  childMinTxns: number;
  recordedBy: string;
}

describe("thresholds and the blacklist changed between two runs", () => {
  it("apply from the chunk after the last one committed; every chunk, replays after kill -9 included, is computed with its own version", async () => {
    const dir = tempDir();
    const files = await generate({ rows: 24_000, seed: 7, outDir: dir, dirty: 0.01, customers: 300, merchants: 12 });
    const blacklist = scaledBlacklist(files.transactions, dir);
    const LOWERED: ReferenceThresholds = { ...blacklist.thresholds, childMinTxns: 12, highValueMinAmount: "200" };
    const [transactions, importance] = [readFileSync(files.transactions, "utf8"), readFileSync(files.importance, "utf8")];
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const args = ["--source", files.transactions, "--importance", files.importance];
    // No checkpoint but at a clean stop: every load replays from the first chunk, across the change.
    const before = pipelineEnv(databaseUrl, s3, { ...SCALED_ENV, CHUNK_INTERVAL_MS: "300", CHECKPOINT_EVERY_CHUNKS: "10000" });
    const after = {
      ...before,
      CHILD_MIN_TXNS: String(LOWERED.childMinTxns),
      HIGH_VALUE_MIN_AMOUNT: LOWERED.highValueMinAmount,
      BLACKLIST: blacklist.env.BLACKLIST,
    };
    const applied = async (n: number) => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n >= n;
    const versions = () =>
      query<VersionRow>(
        databaseUrl,
        `SELECT version, from_seq::int AS "fromSeq", (thresholds->>'childMinTxns')::int AS "childMinTxns", recorded_by AS "recordedBy" FROM config_versions ORDER BY version`,
      );

    const first = startProgram("start", args, before);
    await waitFor("3 chunks applied", () => applied(3));
    first.child.kill("SIGKILL");
    await first.exited;

    const second = startProgram("start", args, after);
    await waitFor("the new version", async () => (await versions()).length === 2);
    const fromSeq = (await versions())[1].fromSeq;
    await waitFor("2 chunks applied with the new version", () => applied(fromSeq + 1));
    second.child.kill("SIGKILL");
    await second.exited;

    const third = startProgram("start", ["--once", ...args], after);
    expect(await third.exited).toBe(0);

    const recorded = await versions();
    expect(recorded).toEqual([
      { version: 1, fromSeq: 1, childMinTxns: SCALED_THRESHOLDS.childMinTxns, recordedBy: expect.stringMatching(/^startup on /) as string },
      { version: 2, fromSeq, childMinTxns: LOWERED.childMinTxns, recordedBy: expect.stringMatching(/^startup on /) as string },
    ]);
    // Chunk index k is the chunk of sequence k + 1.
    const reference = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, (k) => (k + 1 >= fromSeq ? LOWERED : SCALED_THRESHOLDS));
    expect(fromSeq).toBeGreaterThan(3);
    expect(fromSeq).toBeLessThan(reference.chunks);
    await expectExactResult(databaseUrl, s3, reference);

    // The change shows: before it, exactly what the old thresholds give; from it on, neither old nor new alone.
    const old = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, SCALED_THRESHOLDS);
    const lowered = referenceDetections(transactions, importance, TEST_CHUNK_ROWS, LOWERED);
    const beforeChange = (keys: string[]) => keys.filter((k) => Number(k.split("|")[3]) + 1 < fromSeq);
    const keys = (r: typeof reference) => r.detections.map(keyWithAmount).sort();
    expect(beforeChange(await detectionsInDb(databaseUrl))).toEqual(beforeChange(keys(old)));
    expect(keys(reference)).not.toEqual(keys(old));
    expect(keys(reference)).not.toEqual(keys(lowered));
    const changed = (pattern: string, r: typeof reference) => r.detections.filter((d) => d.patternId === pattern && d.chunkIndex + 1 >= fromSeq).length;
    for (const pattern of ["PatId2", "PatId4", "PatId5"]) expect(changed(pattern, reference)).toBeGreaterThan(changed(pattern, old));
  });
});
