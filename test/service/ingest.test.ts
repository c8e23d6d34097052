import { chunkKey } from "../../src/chunker/chunker";
import { selectRows } from "../../src/storage/sql";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

// Ingest needs merchant-state (which takes its thresholds from detector); merchant-state is only read here, lightly.
let bed: ServiceTestBed;

beforeAll(async () => {
  bed = await startServices(["detector", "merchant-state", "customer-state", "ingest"], { pollIntervalMs: 60_000 });
});

afterAll(async () => {
  await bed?.stop();
});

describe("ingest service", () => {
  it("applies a chunk as soon as the chunker announces it, and its detections are committed", async () => {
    const lines = Array.from({ length: 80 }, () => transactionLine("C1", "M1", "10.00"));
    const key = chunkKey("service-test", 0);
    await bed.s3.store.write(key, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
    void bed.broker.emit("chunk.landed", { key, rows: lines.length });

    const status = await eventually(
      () => bed.broker.call<{ applied: number; leader: boolean }>("ingest.status"),
      (s) => s.applied === 1,
    );
    expect(status).toMatchObject({ leader: true, discovered: 1, applied: 1, failed: 0, rowsValid: 80, rowsBad: 0, failure: null });

    const detections = await selectRows<{ patternid: string; customer: string; merchant: string; chunk: string }>(
      await bed.rt.db(),
      `SELECT patternid, customer, merchant, chunk FROM detection_outbox`,
    );
    expect(detections).toEqual([{ patternid: "PatId2", customer: "C1", merchant: "M1", chunk: key }]);
    expect(await bed.broker.call("merchant-state.merchant", { id: "M1" })).toMatchObject({
      merchant: "M1",
      transactions: 80,
      customers: 1,
      detections: [{ patternId: "PatId2", customer: "C1" }],
    });
  });
});
