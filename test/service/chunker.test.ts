import { writeFileSync } from "node:fs";
import path from "node:path";
import type { ServiceSchema } from "moleculer";
import { CHUNK_PREFIX } from "../../src/storage/object-store";
import { tempDir } from "../support/infra";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;
const landed: Array<{ key: string; rows: number }> = [];
const finished: Array<{ source: string }> = [];
const listener: ServiceSchema = {
  name: "listener",
  events: {
    "chunk.landed": { handler: (ctx: { params: { key: string; rows: number } }) => void landed.push(ctx.params) },
    "source.finished": { handler: (ctx: { params: { source: string } }) => void finished.push(ctx.params) },
  },
};
let source: string;

beforeAll(async () => {
  source = path.join(tempDir(), "transactions.csv");
  const lines = Array.from({ length: 25 }, (_, i) => transactionLine(`C${i}`, "M1", "1.00"));
  writeFileSync(source, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
  bed = await startServices(["chunker"], { source, chunkRows: 10, chunkIntervalMs: 0 }, [listener]);
});

afterAll(async () => {
  await bed?.stop();
});

describe("chunker service", () => {
  it("cuts the source into chunks of CHUNK_ROWS records, each with the header, and announces each one and the end of the source", async () => {
    const status = await eventually(
      () => bed.broker.call<{ finished: boolean; leader: boolean; chunksWritten: number }>("chunker.status"),
      (s) => s.finished,
    );
    expect(status).toMatchObject({ leader: true, chunksWritten: 3, failure: null });

    const keys = (await bed.s3.store.listKeys(CHUNK_PREFIX)).sort();
    const rows = await Promise.all(keys.map(async (k) => (await bed.s3.store.readText(k)).trim().split("\n")));
    expect(rows.map((lines) => lines.length - 1)).toEqual([10, 10, 5]);
    expect(rows.every((lines) => lines[0] === TRANSACTIONS_HEADER)).toBe(true);

    await eventually(
      async () => landed.length,
      (n) => n === 3,
    );
    expect(landed).toEqual(keys.map((key, i) => ({ key, rows: [10, 10, 5][i] })));
    await eventually(
      async () => finished.length,
      (n) => n > 0,
    );
    expect(finished).toEqual([{ source }]);
  });
});
