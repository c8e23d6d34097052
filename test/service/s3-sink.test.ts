import { DETECTION_PREFIX } from "../../src/storage/object-store";
import { DETECTION_FILE_HEADER } from "../../src/sinks/s3-detection-writer";
import { commitDetections, eventually, startServices, type ServiceTestBed } from "../support/service-broker";

let bed: ServiceTestBed;

beforeAll(async () => {
  bed = await startServices(["s3-sink"], { s3FlushIdleMs: 0 });
});

afterAll(async () => {
  await bed?.stop();
});

/** Each detection file's data lines, in key order. */
async function files(): Promise<string[][]> {
  const keys = (await bed.s3.store.listKeys(DETECTION_PREFIX)).sort();
  return Promise.all(keys.map(async (k) => (await bed.s3.store.readText(k)).trim().split("\n")));
}

describe("s3-sink service", () => {
  it("writes full files of 50, and the remainder only on flush", async () => {
    await commitDetections(bed.rt, 60);
    // The loop may be writing the file while sync runs; sync then leaves it to the loop.
    await bed.broker.call("s3-sink.sync");
    let written = await eventually(files, (f) => f.length > 0);
    expect(written.map((lines) => lines.length - 1)).toEqual([50]);
    expect(written[0][0]).toBe(DETECTION_FILE_HEADER.join(","));

    await bed.broker.call("s3-sink.flush");
    written = await files();
    expect(written.map((lines) => lines.length - 1)).toEqual([50, 10]);
    expect(written.flat().filter((l) => l.includes(",PatId2,CHILD,"))).toHaveLength(60);
  });
});
