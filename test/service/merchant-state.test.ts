import type { ServiceSchema } from "moleculer";
import { chunkKey } from "../../src/chunker/chunker";
import { readChunk } from "../../src/ingest/chunk-reader";
import type { ApplyRequest, ApplyResult } from "../../src/ingest/apply-request";
import { partitionOf } from "../../src/partitioning";
import { loadConfig } from "../../src/config";
import { ChunkLedger } from "../../src/storage/chunk-ledger";
import { moveToPatternDetections } from "../../src/storage/outbox";
import { recordThresholds } from "../support/config-versions";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

const PARTITIONS = 4;
const thresholds = loadConfig({ CHILD_MIN_TXNS: "3" }, []).thresholds;
let bed: ServiceTestBed;
const committed: Array<{ seq: number; count: number }> = [];
const listener: ServiceSchema = {
  name: "listener",
  events: { "detections.committed": { handler: (ctx: { params: { seq: number; count: number } }) => void committed.push(ctx.params) } },
};

beforeAll(async () => {
  bed = await startServices(["detector", "merchant-state", "customer-state"], { partitions: PARTITIONS, thresholds }, [listener]);
});

afterAll(async () => {
  await bed?.stop();
});

const rows = (customer: string, merchant: string, count: number): string[] => Array.from({ length: count }, () => transactionLine(customer, merchant, "2.00"));

/**
 * Chunk `seq` as ingest sends it (every partition, each with its rows, most of them none), after
 * landing it in the bucket and the ledger as ingest does, so that a node can replay it.
 */
async function chunk(seq: number, lines: string[]): Promise<ApplyRequest> {
  const key = chunkKey("service-test", seq - 1);
  if (!(await bed.s3.store.listKeys(key)).includes(key)) {
    await bed.s3.store.write(key, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
    await new ChunkLedger(await bed.rt.db()).register([key]);
  }
  const { byPartition } = await readChunk(bed.s3.store, key, PARTITIONS, bed.rt.config.maxRecordBytes);
  return {
    seq,
    prevSeq: seq - 1,
    chunkKey: key,
    yStartTime: new Date().toISOString(),
    weightsVersion: 0,
    partitions: Array.from({ length: 2 * PARTITIONS }, (_, partition) => ({ partition, rows: [], customerRows: [], ...byPartition.get(partition) })),
  };
}

/** A chunk applied as ingest applies it: the merchant partitions by merchant-state, the customer partitions by customer-state. */
async function apply(request: Promise<ApplyRequest>): Promise<ApplyResult> {
  const req = await request;
  const results = await Promise.all(
    (["merchant-state", "customer-state"] as const).map((service) =>
      bed.broker.call<ApplyResult, ApplyRequest>(`${service}.apply`, {
        ...req,
        partitions: req.partitions.filter((p) => p.partition < PARTITIONS === (service === "merchant-state")),
      }),
    ),
  );
  return {
    applied: results.flatMap((r) => r.applied).sort((a, b) => a - b),
    skipped: results.flatMap((r) => r.skipped).sort((a, b) => a - b),
    detections: results.reduce((n, r) => n + r.detections, 0),
    byPattern: Object.assign({}, ...results.map((r) => r.byPattern)) as Record<string, number>,
  };
}
const ALL = Array.from({ length: 2 * PARTITIONS }, (_, p) => p);

describe("merchant-state service", () => {
  it("applies a chunk to every partition, commits its detections and announces them; a resend changes nothing", async () => {
    expect(await apply(chunk(1, rows("C1", "M1", 3)))).toEqual({ applied: ALL, skipped: [], detections: 1, byPattern: { PatId2: 1 } });
    await eventually(
      async () => committed,
      (c) => c.length === 1,
    );
    expect(committed).toEqual([{ seq: 1, count: 1 }]);
    expect(await apply(chunk(1, rows("C1", "M1", 3)))).toEqual({ applied: [], skipped: ALL, detections: 0, byPattern: {} });
  });

  it("shows a merchant's live aggregates and the patterns it fired, and 404 for a merchant with no transactions", async () => {
    expect(await bed.broker.call("merchant-state.merchant", { id: "M1" })).toMatchObject({
      merchant: "M1",
      partition: partitionOf("M1", PARTITIONS),
      transactions: 3,
      customers: 1,
      topCustomers: [{ customer: "C1", transactions: 3, totalAmount: "6.00", averageAmount: "2.00" }],
      // Each detection with the figures that made it fire: C1's 3 transactions at M1 averaging 2.00.
      detections: [{ patternId: "PatId2", actionType: "CHILD", customer: "C1", chunk: chunkKey("service-test", 0), explanation: { n: 3, avg: "2.000000" } }],
    });
    await expect(bed.broker.call("merchant-state.merchant", { id: "M-unknown" })).rejects.toMatchObject({ code: 404, type: "MERCHANT_NOT_FOUND" });
  });

  it("lists every partition with its assigned node, its last committer and the chunk it applied last", async () => {
    const node = bed.broker.nodeID;
    expect(await bed.broker.call("merchant-state.partitions")).toEqual(
      Array.from(
        { length: 2 * PARTITIONS },
        (_, partition) =>
          expect.objectContaining({
            partition,
            kind: partition < PARTITIONS ? "merchant" : "customer",
            appliedSeq: 1,
            assignedTo: node,
            lastCommitter: node,
          }) as unknown,
      ),
    );
  });

  it("computes a chunk with the configuration version in force for it, also one recorded while the node runs", async () => {
    const raised = { ...thresholds, childMinTxns: 5 };
    await recordThresholds(await bed.rt.db(), raised, "another detector"); // from chunk 2
    expect((await apply(chunk(2, rows("C2", "M1", 4)))).detections).toBe(0); // 4 transactions: enough for version 1, not for version 2
    expect((await apply(chunk(3, rows("C2", "M1", 1)))).detections).toBe(1);
  });

  it("shows a customer's totals over every merchant (mean, population sd), its merchants and detections, and 404 for an unknown one", async () => {
    await apply(chunk(4, [...rows("C1", "M2", 1), transactionLine("C1", "M3", "6.00")]));
    const ds = await bed.rt.db();
    await moveToPatternDetections(ds, 1000);
    // C1: 2.00 ×4 and 6.00: n 5, total 14.00, mean 2.8, sd sqrt((5·52 − 196)/25) = 1.6
    expect(await bed.broker.call("customer-state.customer", { id: "C1" })).toMatchObject({
      customer: "C1",
      partition: PARTITIONS + partitionOf("C1", PARTITIONS),
      transactions: 5,
      totalAmount: "14.00",
      meanAmount: "2.8000",
      amountStdDev: "1.6000",
      merchants: [
        { merchant: "M1", transactions: 3, totalAmount: "6.00" },
        { merchant: "M2", transactions: 1, totalAmount: "2.00" },
        { merchant: "M3", transactions: 1, totalAmount: "6.00" },
      ],
      detections: [{ patternId: "PatId2", merchant: "M1", line: null, explanation: { n: 3, avg: "2.000000" } }],
    });
    await expect(bed.broker.call("customer-state.customer", { id: "C-unknown" })).rejects.toMatchObject({ code: 404, type: "CUSTOMER_NOT_FOUND" });
  });
});
