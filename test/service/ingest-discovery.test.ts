import { chunkKey } from "../../src/chunker/chunker";
import { Ingest } from "../../src/ingest/ingest";
import { ChunkLedger } from "../../src/storage/chunk-ledger";
import { quietLog, startServices, TRANSACTIONS_HEADER, type ServiceTestBed } from "../support/service-broker";

// Discovery alone: which keys a listing after the known ones finds, and which only a full listing does.
let bed: ServiceTestBed;
let ledger: ChunkLedger;
let ingest: Ingest;

beforeAll(async () => {
  bed = await startServices([]);
  ledger = new ChunkLedger(await bed.rt.db());
  const neverCalled = () => Promise.reject(new Error("discovery applies nothing"));
  ingest = new Ingest(ledger, bed.s3.store, 4, 1 << 20, neverCalled, () => Promise.resolve(0), quietLog);
});

afterAll(async () => {
  await bed?.stop();
});

const put = (key: string) => bed.s3.store.write(key, `${TRANSACTIONS_HEADER}\n`);

describe("chunk discovery", () => {
  it("lists only what follows the known chunks when asked, and everything on a full listing", async () => {
    await put(chunkKey("m-source", 0));
    await put(chunkKey("m-source", 1));
    expect(await ingest.discover()).toBe(2);

    await put(chunkKey("a-other", 0)); // put by someone else, sorting before every known key
    await put(chunkKey("m-source", 2)); // the chunker's next chunk
    expect(await ingest.discover(true)).toBe(1);
    expect([...(await ledger.allKeys())].sort()).toEqual([chunkKey("m-source", 0), chunkKey("m-source", 1), chunkKey("m-source", 2)]);

    expect(await ingest.discover()).toBe(1);
    expect(await ledger.allKeys()).toContain(chunkKey("a-other", 0));
    expect(await ingest.discover()).toBe(0);
  });
});
