import { writeFileSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../support/infra";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

// The bucket is listed every minute only: chunks the chunker writes must not wait for that.
let bed: ServiceTestBed;

beforeAll(async () => {
  const source = path.join(tempDir(), "transactions.csv");
  const lines = Array.from({ length: 30 }, (_, i) => transactionLine(`C${i}`, "M1", "1.00"));
  writeFileSync(source, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
  bed = await startServices(["detector", "merchant-state", "customer-state", "ingest", "chunker"], {
    source,
    chunkRows: 10,
    chunkIntervalMs: 300,
    pollIntervalMs: 60_000,
  });
});

afterAll(async () => {
  await bed?.stop();
});

describe("chunker to ingest", () => {
  it("each chunk written is applied without waiting for the listing interval", async () => {
    const status = await eventually(
      () => bed.broker.call<{ applied: number }>("ingest.status"),
      (s) => s.applied === 3,
      20_000,
    );
    expect(status).toMatchObject({ discovered: 3, applied: 3, failed: 0, rowsValid: 30, rowsBad: 0 });
  });
});
