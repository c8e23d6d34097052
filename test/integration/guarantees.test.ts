import type { DataSource } from "typeorm";
import { Chunker, chunkKey } from "../../src/chunker/chunker";
import { fileSource, s3Source, chunkFolder } from "../../src/chunker/source";
import type { Transaction } from "../../src/csv/transactions";
import type { ApplyRequest } from "../../src/ingest/apply-request";
import { pipelineStats } from "../../src/api/stats";
import { Ingest } from "../../src/ingest/ingest";
import { customerPartitionOf, partitionOf } from "../../src/partitioning";
import { PATTERN_RULES, TRANSACTION_RULES, type PatternThresholds } from "../../src/patterns";
import { parseProbability } from "../../src/quantile";
import { renderDetectionFile, S3DetectionWriter } from "../../src/sinks/s3-detection-writer";
import { PartitionHost, type PartitionHostOptions } from "../../src/state/partition-host";
import type { MerchantAggregates } from "../../src/state/merchant-aggregates";
import { formatDecimal } from "../../src/decimal";
import type { PartitionStore } from "../../src/state/partition-store";
import { PgPartitionStore } from "../../src/storage/partition-store";
import { readChunk } from "../../src/ingest/chunk-reader";
import { ChunkLedger } from "../../src/storage/chunk-ledger";
import { LivenessLock, livenessKey } from "../../src/storage/liveness-lock";
import { readProgress, saveProgress } from "../../src/storage/chunker-progress";
import { ensurePartitions, openDatabase } from "../../src/storage/database";
import { CHUNK_PREFIX, DETECTION_PREFIX, QUARANTINE_PREFIX } from "../../src/storage/object-store";
import { moveToPatternDetections, S3BatchStore } from "../../src/storage/outbox";
import { selectOne, selectRows } from "../../src/storage/sql";
import { recordThresholds as recordVersion } from "../support/config-versions";
import { freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { waitFor } from "../support/pipeline";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SPEC_THRESHOLDS } from "../support/spec-thresholds";

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };
const T: PatternThresholds = { ...SPEC_THRESHOLDS, childMinTxns: 3 };
/** Merchant partitions; customer partitions are PARTITIONS … 2·PARTITIONS − 1, and one host here holds both kinds. */
const PARTITIONS = 4;
const ALL = Array.from({ length: 2 * PARTITIONS }, (_, p) => p);
const MAX_RECORD_BYTES = 1_048_576;
const HEADER = "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud";

let ds: DataSource;
let databaseUrl: string;
let s3: TestS3;
const open: DataSource[] = [];

beforeEach(async () => {
  databaseUrl = await freshDatabase();
  ds = await openDatabase({ url: databaseUrl, applicationName: "test", log });
  await ensurePartitions(ds, PARTITIONS);
  await recordThresholds(T);
  open.push(ds);
  s3 = await freshBucket();
});

afterAll(async () => {
  for (const d of open) await d.destroy();
});

/** A new configuration version, in force from the next chunk on, as a change through the API records it. */
async function recordThresholds(t: PatternThresholds): Promise<void> {
  await recordVersion(ds, t, "test");
}

function host(nodeId: string, overrides: Partial<PartitionHostOptions> = {}, store: PartitionStore = new PgPartitionStore(ds)): PartitionHost {
  return new PartitionHost(store, {
    nodeId,
    rules: PATTERN_RULES,
    transactionRules: TRANSACTION_RULES,
    checkpointEvery: 1,
    log,
    chunkRows: async (key) => (await readChunk(s3.store, key, PARTITIONS, MAX_RECORD_BYTES)).byPartition,
    ...overrides,
  });
}

function request(seq: number, prevSeq: number, rows: Transaction[]): ApplyRequest {
  return {
    seq,
    prevSeq,
    chunkKey: `transaction-chunks/t/chunk-${seq}.csv`,
    yStartTime: new Date().toISOString(),
    weightsVersion: 0,
    partitions: Array.from({ length: 2 * PARTITIONS }, (_, p) => ({ partition: p, rows: p === 0 ? rows : [], customerRows: [] })),
  };
}

const child = (n: number): Transaction[] =>
  Array.from({ length: n }, (_, i) => ({ customer: "C1", merchant: "M1", gender: "F", amount: "1.00", line: i + 2, category: "es_food" }));

describe("fenced commits", () => {
  it("two nodes that both believe they own a partition cannot both apply a chunk to it", async () => {
    const a = host("node-a");
    const b = host("node-b");
    await a.retain(new Set(ALL), ["node-a"]);
    await b.retain(new Set(ALL), ["node-b"]);
    const [ra, rb] = await Promise.all([a.apply(request(1, 0, child(2))), b.apply(request(1, 0, child(2)))]);
    expect(ra.applied.length + rb.applied.length).toBe(2 * PARTITIONS);
    expect([...ra.skipped, ...rb.skipped].sort()).toEqual([...ra.applied, ...rb.applied].sort());

    // Whoever applies chunk 2 builds on exactly one application of chunk 1.
    const r2 = await a.apply(request(2, 1, child(1)));
    expect(r2.detections).toBe(1);
    const agg = await selectOne<{ txnCount: number }>(ds, `SELECT txn_count AS "txnCount" FROM pair_aggregates WHERE merchant = 'M1' AND customer = 'C1'`);
    expect(agg.txnCount).toBe(3);
    const applied = await selectRows<{ appliedSeq: number }>(ds, `SELECT DISTINCT applied_seq AS "appliedSeq" FROM partition_state`);
    expect(applied).toEqual([{ appliedSeq: 2 }]);
  });

  it("a node whose cache went stale while another node applied reloads before applying", async () => {
    const a = host("node-a");
    const b = host("node-b");
    await a.apply(request(1, 0, child(1)));
    await b.apply(request(2, 1, child(1))); // b loads at 1, applies 2
    const r3 = await a.apply(request(3, 2, child(1))); // a's cache says 1: it must reload, not build on it
    expect(r3.applied).toHaveLength(2 * PARTITIONS);
    expect(r3.detections).toBe(1);
    const agg = await selectOne<{ txnCount: number }>(ds, `SELECT txn_count AS "txnCount" FROM pair_aggregates WHERE customer = 'C1'`);
    expect(agg.txnCount).toBe(3);
    await expect(a.apply(request(5, 4, child(1)))).rejects.toThrow("partition 0 is at chunk 3, but chunk 5 follows 4");
  });

  it("a node gaining partitions from a live node loads them on their first chunk, after the old owner's last commit", async () => {
    const a = host("node-a");
    const b = host("node-b");
    await a.apply(request(1, 0, child(1)));
    await b.retain(new Set(ALL), ["node-a", "node-b"]); // node-a is still live: it may apply one more chunk
    expect(b.cached().size).toBe(0);
    await a.apply(request(2, 1, child(1)));
    const r3 = await b.apply(request(3, 2, child(1)));
    expect(r3.applied).toHaveLength(2 * PARTITIONS);
    expect(r3.detections).toBe(1);
    // Gaining them from a node that is gone (node-b last committed; it is not live) loads at once.
    const c = host("node-c");
    await c.retain(new Set(ALL), ["node-a", "node-c"]);
    expect([...c.cached().values()].map((s) => s.appliedSeq)).toEqual(ALL.map(() => 3));
  });

  it("re-applying a chunk that already committed changes nothing", async () => {
    const a = host("node-a");
    await a.apply(request(1, 0, child(3)));
    const again = await host("node-b").apply(request(1, 0, child(3)));
    expect(again).toEqual({ applied: [], skipped: ALL, detections: 0, byPattern: {} });
    const { n } = await selectOne<{ n: number }>(ds, `SELECT count(*)::int AS n FROM detection_outbox`);
    expect(n).toBe(1);
  });
});

describe("chunks in flight", () => {
  /** A store whose first commit of chunk `seq` waits until the host has applied the next chunk in memory, then runs `meanwhile`. */
  function slowCommitOf(seq: number, meanwhile: () => Promise<void>): { store: PartitionStore; node: () => PartitionHost } {
    const real = new PgPartitionStore(ds);
    let node: PartitionHost | undefined;
    let slowed = false;
    const store: PartitionStore = {
      read: (ps) => real.read(ps),
      lastCommitters: (ps) => real.lastCommitters(ps),
      checkpoint: (c, s, committer) => real.checkpoint(c, s, committer),
      commitChunk: async (commit) => {
        if (commit.seq === seq && !slowed) {
          slowed = true;
          await waitFor("the next chunk applied in memory", async () => node!.cached().get(0)?.appliedSeq === seq + 1, 10_000, 5);
          await meanwhile();
        }
        return real.commitChunk(commit);
      },
    };
    return { store, node: () => (node ??= host("node-a", {}, store)) };
  }

  const outcome = async () => ({
    pairs: await selectRows(ds, `SELECT merchant, customer, txn_count AS "txnCount", amount_sum::text AS amount FROM pair_aggregates ORDER BY 1, 2`),
    detections: await selectRows(ds, `SELECT patternid, merchant, customer, chunk_seq AS "chunkSeq" FROM detection_outbox ORDER BY 1, 2, 3`),
    appliedSeqs: await selectRows(ds, `SELECT DISTINCT applied_seq AS "appliedSeq" FROM partition_state`),
  });
  const reference = {
    pairs: [{ merchant: "M1", customer: "C1", txnCount: 3, amount: "3.00" }],
    detections: [{ patternid: "PatId2", merchant: "M1", customer: "C1", chunkSeq: 3 }],
    appliedSeqs: [{ appliedSeq: 3 }],
  };

  it("a commit that fails while the next chunk is applied in memory fails both; sent again, they end as if nothing had failed", async () => {
    const { node } = slowCommitOf(2, async () => {
      throw new Error("connection lost");
    });
    const a = node();
    await a.apply(request(1, 0, child(1)));
    const [r2, r3] = await Promise.allSettled([a.apply(request(2, 1, child(1))), a.apply(request(3, 2, child(1)))]);
    expect(r2).toMatchObject({ status: "rejected", reason: { message: expect.stringContaining("connection lost") as unknown } });
    // Chunk 3 was applied on top of chunk 2 in memory: dropped with it, and refused once reloaded, since the partitions are at chunk 1.
    expect(r3).toMatchObject({ status: "rejected", reason: { message: "partition 0 is at chunk 1, but chunk 3 follows 2" } });
    expect(await a.apply(request(2, 1, child(1)))).toMatchObject({ applied: ALL, detections: 0 });
    expect(await a.apply(request(3, 2, child(1)))).toMatchObject({ applied: ALL, detections: 1 });
    expect(await outcome()).toEqual(reference);
  });

  it("a commit fenced out while the next chunk is applied in memory is redone, and so is the next chunk, on the other node's state", async () => {
    const { node } = slowCommitOf(2, async () => {
      await host("node-b").apply(request(2, 1, child(1)));
    });
    const a = node();
    await a.apply(request(1, 0, child(1)));
    const [r2, r3] = await Promise.all([a.apply(request(2, 1, child(1))), a.apply(request(3, 2, child(1)))]);
    expect(r2).toEqual({ applied: [], skipped: ALL, detections: 0, byPattern: {} });
    expect(r3).toEqual({ applied: ALL, skipped: [], detections: 1, byPattern: { PatId2: 1 } });
    expect(await outcome()).toEqual(reference);
  });
});

describe("configuration versions", () => {
  const versions = () => selectRows<{ version: number; fromSeq: number }>(ds, `SELECT version, from_seq AS "fromSeq" FROM config_versions ORDER BY version`);
  const outboxChunks = () =>
    selectRows<{ customer: string; chunkSeq: number }>(ds, `SELECT customer, chunk_seq AS "chunkSeq" FROM detection_outbox ORDER BY id`);

  it("a new version is recorded only when the thresholds differ, and applies from the chunk after the last one committed", async () => {
    await host("node-a").apply(request(1, 0, child(1)));
    await recordThresholds({ ...T, upgradeCountQuantile: parseProbability("0.90", "q") }); // the same quantile, written otherwise
    expect(await versions()).toEqual([{ version: 1, fromSeq: 1 }]);
    await recordThresholds({ ...T, childMinTxns: 2 });
    expect(await versions()).toEqual([
      { version: 1, fromSeq: 1 },
      { version: 2, fromSeq: 2 },
    ]);
  });

  it("a version recorded while a node holds the old one applies to the next chunk all the same: the commit is refused and redone", async () => {
    const a = host("node-a");
    await a.apply(request(1, 0, child(2))); // C1 has 2 of the 3 transactions CHILD needs
    await recordThresholds({ ...T, childMinTxns: 1 }); // from chunk 2; node-a still holds version 1
    const r2 = await a.apply(request(2, 1, []));
    expect(r2.detections).toBe(1);
    expect(await outboxChunks()).toEqual([{ customer: "C1", chunkSeq: 2 }]);
  });

  it("a replay computes each chunk with the version that was in force for it", async () => {
    const ledger = new ChunkLedger(ds);
    const keys = [0, 1, 2].map((i) => `${CHUNK_PREFIX}v-${i}.csv`);
    const customers = ["C1", "C1", "C2"];
    for (const [i, key] of keys.entries()) await s3.store.write(key, `${HEADER}\n0,'${customers[i]}','1','F','1','M1','1','x',5.00,0\n`);
    await ledger.register(keys);
    const applyChunk = async (node: PartitionHost, i: number) => {
      const { byPartition } = await readChunk(s3.store, keys[i], PARTITIONS, MAX_RECORD_BYTES);
      return node.apply({
        seq: i + 1,
        prevSeq: i,
        chunkKey: keys[i],
        yStartTime: new Date().toISOString(),
        weightsVersion: 0,
        partitions: Array.from({ length: 2 * PARTITIONS }, (_, p) => ({ partition: p, rows: [], customerRows: [], ...byPartition.get(p) })),
      });
    };
    const a = host("node-a", { checkpointEvery: 100 });
    await applyChunk(a, 0);
    await applyChunk(a, 1); // C1: 2 transactions, CHILD needs 3
    await recordThresholds({ ...T, childMinTxns: 2 }); // from chunk 3
    // node-b replays chunks 1 and 2 with version 1 (nothing fires), then applies chunk 3 with version 2, which fires C1.
    const b = host("node-b", { checkpointEvery: 100 });
    expect((await applyChunk(b, 2)).detections).toBe(1);
    expect(await outboxChunks()).toEqual([{ customer: "C1", chunkSeq: 3 }]);
  });
});

describe("liveness locks", () => {
  it("a node's lock is gone as soon as its database session ends, and no second process can hold the same node id", async () => {
    const otherProcess = await openDatabase({ url: databaseUrl, applicationName: "node-b", log });
    open.push(otherProcess);
    const a = new LivenessLock(ds, "node-a");
    const b = new LivenessLock(otherProcess, "node-b");
    await a.read();
    const before = (await b.read())!;
    expect([...before.live].sort()).toEqual([livenessKey("node-a"), livenessKey("node-b")].sort());
    expect(await new LivenessLock(otherProcess, "node-a").read()).toBeUndefined();

    // What PostgreSQL sees of a kill -9: node-b's connection ends.
    await ds.query("SELECT pg_terminate_backend($1)", [before.session]);
    await waitFor("node-b's lock to go", async () => !(await a.read())!.live.has(livenessKey("node-b")), 2_000, 20);
    expect([...(await a.read())!.live]).toEqual([livenessKey("node-a")]);

    // A node whose session was lost takes its lock again, in a new session.
    await expect(b.read()).rejects.toThrow();
    const again = (await b.read())!;
    expect(again.session).not.toBe(before.session);
    expect(again.live.has(livenessKey("node-b"))).toBe(true);
    await a.release();
    await b.release();
  });
});

describe("checkpoints", () => {
  it("a partition that applied a chunk the ledger has not yet marked applied (ingest died in between) still loads", async () => {
    const ledger = new ChunkLedger(ds);
    const keys = [0, 1].map((i) => `${CHUNK_PREFIX}pending-${i}.csv`);
    for (const key of keys) await s3.store.write(key, `${HEADER}\n0,'C1','1','F','1','M1','1','x',5.00,0\n`);
    await ledger.register(keys);
    const a = host("node-a", { checkpointEvery: 100 });
    for (const [i, key] of keys.entries()) {
      const { byPartition } = await readChunk(s3.store, key, PARTITIONS, MAX_RECORD_BYTES);
      await a.apply({
        seq: i + 1,
        prevSeq: i,
        chunkKey: key,
        yStartTime: new Date().toISOString(),
        weightsVersion: 0,
        partitions: Array.from({ length: 2 * PARTITIONS }, (_, p) => ({ partition: p, rows: [], customerRows: [], ...byPartition.get(p) })),
      });
    }
    await ledger.finish(1, "applied", 1, 0); // chunk 2 stays pending: ingest was killed before recording it
    const p = partitionOf("M1", PARTITIONS);
    const reloaded = await host("node-b", { checkpointEvery: 100 }).merchant(p, "M1");
    expect(reloaded?.customers.get("C1")).toMatchObject({ n: 2, amount: { units: 1000, scale: 2 } });
  });

  it("a node that takes over replays the chunks after the last checkpoint and carries on exactly", async () => {
    const a = host("node-a", { checkpointEvery: 3 });
    const ingest = new Ingest(
      new ChunkLedger(ds),
      s3.store,
      PARTITIONS,
      MAX_RECORD_BYTES,
      (req) => a.apply(req),
      async () => 0,
      log,
    );
    for (let i = 0; i < 7; i++) {
      const rows = Array.from({ length: 10 }, (_, j) => `${i},'C${j % 3}','1','${j % 2 ? "M" : "F"}','1','M${j % 5}','1','x',${i + j}.50,0`);
      await s3.store.write(`${CHUNK_PREFIX}c${i}.csv`, `${HEADER}\n${rows.join("\n")}\n`);
    }
    await ingest.discover();
    while (await ingest.processNext());
    const { behind } = await selectOne<{ behind: number }>(ds, `SELECT count(*)::int AS behind FROM partition_state WHERE checkpoint_seq < applied_seq`);
    expect(behind).toBeGreaterThan(0);

    const b = host("node-b", { checkpointEvery: 3 });
    await b.retain(new Set(ALL), ["node-b"]);
    for (let p = 0; p < PARTITIONS; p++) {
      for (const m of ["M0", "M1", "M2", "M3", "M4"]) {
        const [live, replayed] = await Promise.all([a.merchant(p, m), b.merchant(p, m)]);
        expect(replayed && contentOf(replayed)).toEqual(live && contentOf(live));
      }
    }
    for (const c of ["C0", "C1", "C2"]) {
      const p = customerPartitionOf(c, PARTITIONS);
      const [live, replayed] = await Promise.all([a.customerHistory(p, c), b.customerHistory(p, c)]);
      expect(replayed && { n: replayed.n, sum: formatDecimal(replayed.sum), sumSquares: formatDecimal(replayed.sumSquares) }).toEqual(
        live && { n: live.n, sum: formatDecimal(live.sum), sumSquares: formatDecimal(live.sumSquares) },
      );
      expect(live?.n).toBeGreaterThan(0);
    }
    await b.close();
    const { stillBehind } = await selectOne<{ stillBehind: number }>(
      ds,
      `SELECT count(*)::int AS "stillBehind" FROM partition_state WHERE checkpoint_seq < applied_seq`,
    );
    expect(stillBehind).toBe(0);
  });
});

describe("sinks", () => {
  async function outbox(count: number): Promise<void> {
    await recordThresholds({ ...T, childMinTxns: 1 });
    const h = host("n");
    const rows = Array.from({ length: count }, (_, i) => ({
      customer: `C${i}`,
      merchant: "M1",
      gender: "F",
      amount: "0.01",
      line: i + 2,
      category: "es_food",
    }));
    await h.apply(request(1, 0, rows));
  }

  it("db-sink moves every detection once, however often it runs", async () => {
    await outbox(120);
    expect(await moveToPatternDetections(ds, 50)).toBe(50);
    expect(await moveToPatternDetections(ds, 1000)).toBe(70);
    expect(await moveToPatternDetections(ds, 1000)).toBe(0);
    const { n } = await selectOne<{ n: number }>(ds, `SELECT count(*)::int AS n FROM pattern_detections`);
    expect(n).toBe(120);
  });

  it("s3-sink writes files of 50, holds the rest until flushed, and a crash after writing rewrites the same object", async () => {
    await outbox(120);
    const batches = new S3BatchStore(ds, DETECTION_PREFIX);
    // crash after reserving and writing batch 1 but before marking it written
    const [first] = await batches.reserve(50, false);
    await s3.store.write(first.objectKey, renderDetectionFile((await batches.detections([first.batchNo])).get(first.batchNo)!));
    const bytesBefore = await s3.store.readText(first.objectKey);

    const writer = new S3DetectionWriter(batches, s3.store);
    expect(await writer.sync(false)).toBe(2); // batch 1 rewritten, batch 2 new; 20 wait
    expect(await s3.store.readText(first.objectKey)).toBe(bytesBefore);
    expect(await writer.sync(false)).toBe(0);
    expect(await writer.sync(true)).toBe(1);

    const keys = await s3.store.listKeys(DETECTION_PREFIX);
    expect(keys).toEqual(["detections/detections-00000001.csv", "detections/detections-00000002.csv", "detections/detections-00000003.csv"]);
    const customers = (await Promise.all(keys.map((k) => s3.store.readText(k)))).flatMap((t) =>
      t
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(",")[4]),
    );
    expect(customers).toHaveLength(120);
    expect(new Set(customers).size).toBe(120);
  });
});

describe("chunker", () => {
  function source(rows: number): string {
    const file = path.join(tempDir(), "tx.csv");
    const lines = Array.from({ length: rows }, (_, i) => `${i},'C${i}','1','F','1','M1','1','x',1.00,0`);
    writeFileSync(file, `${HEADER}\n${lines.join("\n")}\n`);
    return file;
  }

  it("cuts the source into chunks of CHUNK_ROWS with the header, the last one shorter", async () => {
    const src = fileSource(source(25));
    const chunker = new Chunker(src, s3.store, { read: () => readProgress(ds, src.id), save: (p) => saveProgress(ds, src.id, p) }, 10, MAX_RECORD_BYTES);
    const written = [];
    for (let w = await chunker.writeNext(); w; w = await chunker.writeNext()) written.push(w.rows);
    expect(written).toEqual([10, 10, 5]);
    const keys = await s3.store.listKeys(CHUNK_PREFIX);
    expect(keys).toEqual([0, 1, 2].map((i) => chunkKey(chunkFolder(src), i)));
    const last = (await s3.store.readText(keys[2])).trim().split("\n");
    expect(last[0]).toBe(HEADER);
    expect(last.slice(1).map((l) => l.split(",")[0])).toEqual(["20", "21", "22", "23", "24"]);
    expect((await chunker.status())?.finished).toBe(true);
  });

  it("after a crash between writing a chunk and saving the offset, rewrites the same chunk and goes on", async () => {
    const file = source(30);
    const src = fileSource(file);
    let crash = true;
    const progress = {
      read: () => readProgress(ds, src.id),
      save: async (p: Parameters<typeof saveProgress>[2]) => {
        if (p.chunksWritten === 2 && crash) {
          crash = false;
          throw new Error("killed");
        }
        await saveProgress(ds, src.id, p);
      },
    };
    const chunker = new Chunker(src, s3.store, progress, 10, MAX_RECORD_BYTES);
    await chunker.writeNext();
    await expect(chunker.writeNext()).rejects.toThrow("killed");
    const second = await s3.store.readText(chunkKey(chunkFolder(src), 1));
    const restarted = new Chunker(src, s3.store, progress, 10, MAX_RECORD_BYTES);
    expect((await restarted.writeNext())?.key).toBe(chunkKey(chunkFolder(src), 1));
    expect(await s3.store.readText(chunkKey(chunkFolder(src), 1))).toBe(second);
    await restarted.writeNext();
    expect(await restarted.writeNext()).toBeNull();
    const all = await Promise.all((await s3.store.listKeys(CHUNK_PREFIX)).map((k) => s3.store.readText(k)));
    const steps = all.flatMap((t) =>
      t
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => Number(l.split(",")[0])),
    );
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => i));

    appendFileSync(file, `30,'C30','1','F','1','M1','1','x',1.00,0\n`);
    expect((await restarted.writeNext())?.rows).toBe(1);
  });

  it("counts records, not lines: a quoted field spanning lines across the 10,000th record is not cut, and chunks read back whole", async () => {
    const file = path.join(tempDir(), "tx.csv");
    const row = (i: number, category = "x") => `${i},'C${i}','1','F','1','M1','1',${category},1.00,0`;
    const rows = Array.from({ length: 10_003 }, (_, i) => row(i, i === 9_999 ? '"two\r\nlines, and ""quotes"""' : i === 10_001 ? '"three\n\nlines"' : "x"));
    writeFileSync(file, `${HEADER}\n${rows.join("\n")}\n`);
    const src = fileSource(file);
    const chunker = new Chunker(src, s3.store, { read: () => readProgress(ds, src.id), save: (p) => saveProgress(ds, src.id, p) }, 10_000, MAX_RECORD_BYTES);
    const written = [];
    for (let w = await chunker.writeNext(); w; w = await chunker.writeNext()) written.push(w.rows);
    expect(written).toEqual([10_000, 3]);
    expect(await readProgress(ds, src.id)).toMatchObject({ rowOffset: 10_003, byteOffset: readFileSync(file).length, finished: true });
    const [first, second] = await s3.store.listKeys(CHUNK_PREFIX);
    expect((await s3.store.readText(first)).endsWith(`${rows[9_999]}\n`)).toBe(true);
    expect(await s3.store.readText(second)).toBe(`${HEADER}\n${rows.slice(10_000).join("\n")}\n`);
    const chunks = await Promise.all([first, second].map((k) => readChunk(s3.store, k, 1, MAX_RECORD_BYTES)));
    expect(chunks.map((c) => [c.valid, c.rejected.length])).toEqual([
      [10_000, 0],
      [3, 0],
    ]);
  });

  it("reads an s3:// source from its saved byte offset", async () => {
    const file = source(12);
    await s3.store.write("sources/tx.csv", readFileSync(file));
    const src = s3Source(s3.store, "sources/tx.csv");
    const chunker = new Chunker(src, s3.store, { read: () => readProgress(ds, src.id), save: (p) => saveProgress(ds, src.id, p) }, 5, MAX_RECORD_BYTES);
    const rows = [];
    for (let w = await chunker.writeNext(); w; w = await chunker.writeNext()) rows.push(w.rows);
    expect(rows).toEqual([5, 5, 2]);
    expect((await readProgress(ds, src.id))?.byteOffset).toBe(readFileSync(file).length);
  });
});

describe("ingest", () => {
  it("records an unreadable object as failed with the reason, quarantines bad rows, and goes on", async () => {
    const node = host("n");
    const ingest = new Ingest(
      new ChunkLedger(ds),
      s3.store,
      PARTITIONS,
      MAX_RECORD_BYTES,
      (req) => node.apply(req),
      async () => 0,
      log,
    );
    await s3.store.write(`${CHUNK_PREFIX}a.csv`, `${HEADER}\n0,'C1','1','F','1','M1','1','x',1.00,0\n`);
    await s3.store.write(`${CHUNK_PREFIX}b.csv`, "this is not,a transactions file\n1,2\n");
    await s3.store.write(`${CHUNK_PREFIX}c.csv`, Buffer.from([0, 159, 146, 150, 10, 255, 34, 10]));
    await s3.store.write(`${CHUNK_PREFIX}d.csv`, `${HEADER}\n0,'C1','1','F','1','M1','1','x',oops,0\n0,'C1','1','F','1','M1','1','x',2.00,0\n`);
    expect(await ingest.discover()).toBe(4);
    const outcomes = [];
    for (let o = await ingest.processNext(); o; o = await ingest.processNext()) outcomes.push(o);
    expect(outcomes.map((o) => [o.key, o.status, o.valid, o.bad])).toEqual([
      ["transaction-chunks/a.csv", "applied", 1, 0],
      ["transaction-chunks/b.csv", "failed", 0, 0],
      ["transaction-chunks/c.csv", "failed", 0, 0],
      ["transaction-chunks/d.csv", "applied", 1, 1],
    ]);
    expect(outcomes[1].error).toContain("missing required columns");
    expect(await s3.store.readText(`${QUARANTINE_PREFIX}d.csv`)).toBe(
      "chunk,line,reason,row\ntransaction-chunks/d.csv,2,\"amount \"\"oops\"\" is not a plain decimal (digits, optionally a point and more digits)\",\"0,'C1','1','F','1','M1','1','x',oops,0\"\n",
    );
    const agg = await selectOne<{ txnCount: number; amountSum: string }>(
      ds,
      `SELECT txn_count AS "txnCount", amount_sum::text AS "amountSum" FROM pair_aggregates`,
    );
    expect(agg).toEqual({ txnCount: 2, amountSum: "3.00" });
    expect(await ds.query(`SELECT DISTINCT applied_seq FROM partition_state`)).toEqual([{ applied_seq: 4 }]);
    expect(await ingest.discover()).toBe(0);
    const stats = await pipelineStats(ds);
    expect(stats.failedChunks.map((f) => f.key)).toEqual(["transaction-chunks/c.csv", "transaction-chunks/b.csv"]);
    expect(stats.chunks).toMatchObject({ applied: 2, failed: 2, pending: 0, rowsValid: 2, rowsBad: 1 });
  });
});

/** What a merchant's aggregates say, without bookkeeping; sets compare by content whatever order the entries went in. */
function contentOf(m: MerchantAggregates): object {
  const customers = [...m.customers.values()].map((c) => ({
    customer: c.customer,
    n: c.n,
    amount: formatDecimal(c.amount),
    gender: c.gender,
    weight: c.weight,
  }));
  return { n: m.txnCount, customers: customers.sort((x, y) => (x.customer < y.customer ? -1 : 1)), emitted: m.emitted };
}
