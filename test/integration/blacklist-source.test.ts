import { writeFileSync } from "node:fs";
import path from "node:path";
import { readBlacklist } from "../../src/patterns/blacklist";
import { freshBucket, tempDir, type TestS3 } from "../support/infra";

const CSV = `"id","reason"\r\n'C1',"card, stolen"\r\nM2,\r\n`;
const EXPECTED = { C1: "card, stolen", M2: "" };

const settings = (s3: TestS3) => ({
  endpoint: s3.endpoint,
  bucket: s3.bucket,
  region: "us-east-1",
  accessKeyId: s3.accessKeyId,
  secretAccessKey: s3.secretAccessKey,
});

describe("reading the blacklist given by --blacklist", () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await freshBucket();
  });

  it("reads a local file", async () => {
    const file = path.join(tempDir(), "blacklist.csv");
    writeFileSync(file, CSV);
    expect(Object.fromEntries(await readBlacklist(file, settings(s3)))).toEqual(EXPECTED);
  });

  it("reads an object from S3", async () => {
    await s3.store.write("lists/blacklist.csv", CSV);
    expect(Object.fromEntries(await readBlacklist(`s3://${s3.bucket}/lists/blacklist.csv`, settings(s3)))).toEqual(EXPECTED);
  });

  it("names the location when the file or object is missing", async () => {
    const file = path.join(tempDir(), "absent.csv");
    await expect(readBlacklist(file, settings(s3))).rejects.toThrow(`blacklist ${file}: ENOENT`);
    const key = `s3://${s3.bucket}/absent.csv`;
    await expect(readBlacklist(key, settings(s3))).rejects.toThrow(`blacklist ${key}: NoSuchKey`);
    await expect(readBlacklist(`s3://${s3.bucket}`, settings(s3))).rejects.toThrow(`blacklist s3://${s3.bucket}: expected s3://bucket/key`);
  });

  it("names the location and line of a bad row", async () => {
    await s3.store.write("bad.csv", "id,reason\nC1,a\n,b\n");
    const key = `s3://${s3.bucket}/bad.csv`;
    await expect(readBlacklist(key, settings(s3))).rejects.toThrow(`blacklist ${key} line 3: empty id`);
  });
});
