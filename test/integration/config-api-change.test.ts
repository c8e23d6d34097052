import { readFileSync } from "node:fs";
import { generate } from "../../src/demo/generator";
import { expectExactResult, expectExactStats, SCALED_ENV, SCALED_THRESHOLDS, scaledBlacklist, TEST_CHUNK_ROWS } from "../support/expectations";
import { freshBucket, freshDatabase, tempDir } from "../support/infra";
import { freePort, pipelineEnv, query, startProgram, waitFor } from "../support/pipeline";
import { referenceDetections, type ReferenceThresholds } from "../support/reference";

const ADMIN = "admin-secret-for-the-test-0123";

describe("a threshold and the blacklist changed through the API while the stream runs", () => {
  it("apply from the chunk recorded with each change; killed right after and replayed, the result is the reference for that history", async () => {
    const dir = tempDir();
    const files = await generate({ rows: 24_000, seed: 7, outDir: dir, dirty: 0.01, customers: 300, merchants: 12 });
    const ids = scaledBlacklist(files.transactions, dir).thresholds.blacklist;
    const [databaseUrl, s3, apiPort] = await Promise.all([freshDatabase(), freshBucket(), freePort()]);
    const args = ["--source", files.transactions, "--importance", files.importance];
    // No checkpoint but at a clean stop: the restart replays every chunk, across both changes.
    const env = pipelineEnv(databaseUrl, s3, {
      ...SCALED_ENV,
      CHUNK_INTERVAL_MS: "300",
      CHECKPOINT_EVERY_CHUNKS: "10000",
      API_PORT: String(apiPort),
      API_KEYS: `ops:admin:${ADMIN}`,
    });
    const applied = async (n: number) => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n >= n;
    const send = (method: string, path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${apiPort}/api/${path}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    const first = startProgram("start", args, env);
    await waitFor("3 chunks applied", () => applied(3));
    expect((await send("PUT", "config", { highValueMinAmount: "200", childMinTxns: 12 })).status).toBe(200);
    expect((await send("POST", "blacklist", { entries: ids.map((id) => ({ id, reason: "test" })) })).status).toBe(200);
    first.child.kill("SIGKILL");
    await first.exited;

    const versions = await query<{ version: number; fromSeq: number; recordedBy: string }>(
      databaseUrl,
      `SELECT version, from_seq::int AS "fromSeq", recorded_by AS "recordedBy" FROM config_versions ORDER BY version`,
    );
    expect(versions.map((v) => v.recordedBy)).toEqual([expect.stringMatching(/^startup on /) as string, "api key ops", "api key ops"]);
    const [, lowered, listed] = versions;

    const second = startProgram("start", ["--once", ...args], env);
    expect(await second.exited).toBe(0);
    // A restart with the same settings keeps both changes.
    expect((await query(databaseUrl, `SELECT count(*)::int AS n FROM config_versions`))[0]).toEqual({ n: 3 });

    // Chunk index k is the chunk of sequence k + 1.
    const inForce = (k: number): ReferenceThresholds => ({
      ...SCALED_THRESHOLDS,
      ...(k + 1 >= lowered.fromSeq ? { highValueMinAmount: "200", childMinTxns: 12 } : {}),
      blacklist: k + 1 >= listed.fromSeq ? ids : [],
    });
    const reference = referenceDetections(readFileSync(files.transactions, "utf8"), readFileSync(files.importance, "utf8"), TEST_CHUNK_ROWS, inForce);
    expect(lowered.fromSeq).toBeGreaterThan(3);
    expect(listed.fromSeq).toBeLessThan(reference.chunks);
    expect(reference.detections.some((d) => d.patternId === "PatId5")).toBe(true);
    await expectExactResult(databaseUrl, s3, reference);
    await expectExactStats(databaseUrl, reference);
  });
});
