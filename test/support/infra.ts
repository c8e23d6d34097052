import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync } from "node:fs";
import path from "node:path";
import { DeleteBucketCommand, DeleteObjectsCommand } from "@aws-sdk/client-s3";
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

/** What this test file created; cleanup.ts drops it after the file, global-teardown whatever a crashed file left. */
const created = { databases: [] as string[], buckets: [] as TestS3[] };

/** The run's list of created databases and buckets (one per line, "database NAME" / "bucket NAME"), read by global-teardown. */
export function createdListFile(): string {
  return path.join(required("TEST_TMP"), "created.txt");
}

/** A new, empty database on the test server; returns its URL. */
export async function freshDatabase(): Promise<string> {
  const base = new URL(required("TEST_DATABASE_URL"));
  const name = uniqueName("tm_test_");
  await adminQuery(`CREATE DATABASE ${name}`);
  created.databases.push(name);
  appendFileSync(createdListFile(), `database ${name}\n`);
  base.pathname = `/${name}`;
  return base.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: required("TEST_DATABASE_URL") });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly store: ObjectStore;
}

/** A store on the test S3 server for the given bucket. */
export function testS3(bucket: string): TestS3 {
  const endpoint = required("TEST_S3_ENDPOINT");
  const key = process.env.TEST_S3_KEY ?? process.env.AWS_ACCESS_KEY_ID ?? "S3RVER";
  const secret = process.env.TEST_S3_KEY ?? process.env.AWS_SECRET_ACCESS_KEY ?? "S3RVER";
  const store = new ObjectStore(createS3Client({ endpoint, bucket, region: "us-east-1", accessKeyId: key, secretAccessKey: secret }), bucket);
  return { endpoint, bucket, accessKeyId: key, secretAccessKey: secret, store };
}

/** A new, empty bucket on the test S3 server. */
export async function freshBucket(): Promise<TestS3> {
  const s3 = testS3(uniqueName("tm-test-"));
  await s3.store.createBucketIfMissing();
  created.buckets.push(s3);
  appendFileSync(createdListFile(), `bucket ${s3.bucket}\n`);
  return s3;
}

/** Deletes every object, then the bucket; a bucket already gone is fine. */
export async function deleteBucket(s3: TestS3): Promise<void> {
  let keys: string[];
  try {
    keys = await s3.store.listKeys("");
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchBucket") return;
    throw err;
  }
  for (let i = 0; i < keys.length; i += 1000) {
    const Objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.store.client.send(new DeleteObjectsCommand({ Bucket: s3.bucket, Delete: { Objects } }));
  }
  await s3.store.client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
  s3.store.client.destroy();
}

/** Drops what this test file created. */
export async function dropCreated(): Promise<void> {
  const databases = created.databases.splice(0);
  const buckets = created.buckets.splice(0);
  await Promise.all([...databases.map(dropDatabase), ...buckets.map(deleteBucket)]);
}

export function tempDir(): string {
  return mkdtempSync(path.join(required("TEST_TMP"), "case-"));
}
