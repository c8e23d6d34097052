import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import path from "node:path";
import { Client } from "pg";
import { createS3Client, ObjectStore } from "../../src/storage/object-store";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (globalSetup starts the servers)`);
  return value;
}

export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

/** A new, empty database on the test server; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const base = new URL(required("TEST_DATABASE_URL"));
  const name = uniqueName("tm_test_");
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  base.pathname = `/${name}`;
  return base.toString();
}

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly store: ObjectStore;
}

/** A new, empty bucket on the test S3 server. */
export async function freshBucket(): Promise<TestS3> {
  const endpoint = required("TEST_S3_ENDPOINT");
  const key = process.env.TEST_S3_KEY ?? process.env.AWS_ACCESS_KEY_ID ?? "S3RVER";
  const secret = process.env.TEST_S3_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? "S3RVER";
  const bucket = uniqueName("tm-test-");
  const store = new ObjectStore(
    createS3Client({ endpoint, bucket, region: "us-east-1", accessKeyId: key, secretAccessKey: secret }),
    bucket,
  );
  await store.createBucketIfMissing();
  return { endpoint, bucket, accessKeyId: key, secretAccessKey: secret, store };
}

export function tempDir(): string {
  return mkdtempSync(path.join(required("TEST_TMP"), "case-"));
}
