import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { Client } from "pg";
import { NODE_FLAGS } from "../app/node-flags";
import type { S3Settings } from "../config";
import { createS3Client, ObjectStore } from "../storage/object-store";

/** A new empty database on the server of `serverUrl`; returns its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const db = new Client({ connectionString: serverUrl });
  await db.connect();
  try {
    await db.query(`DROP DATABASE IF EXISTS ${name}`);
    await db.query(`CREATE DATABASE ${name}`);
  } finally {
    await db.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates `bucket` on the S3 server of `s3` unless it exists. */
export async function createBucket(s3: S3Settings & { endpoint: string }, bucket: string): Promise<void> {
  const store = new ObjectStore(createS3Client(s3), bucket);
  try {
    await store.createBucketIfMissing();
  } finally {
    store.client.destroy();
  }
}

/**
 * `node dist/bin/start.js --once` as a user runs it, timed from spawn to exit;
 * its output goes to `logFile`. Returns the seconds; throws when it fails.
 */
export async function timeStartOnce(startScript: string, args: readonly string[], env: NodeJS.ProcessEnv, logFile: string): Promise<number> {
  const started = process.hrtime.bigint();
  const log = openSync(logFile, "a");
  const child = spawn(process.execPath, [...NODE_FLAGS, startScript, "--once", ...args], { env, stdio: ["ignore", log, log] });
  closeSync(log);
  const [code] = (await once(child, "exit")) as [number | null];
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`start --once exited with ${code}; its log: ${logFile}`);
  return seconds;
}
