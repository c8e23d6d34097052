import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedS3, startLocalNats, type EmbeddedServer } from "../../src/app/embedded";
import { startEmbeddedPostgres } from "../../src/app/embedded-postgres";
import { executableDirs } from "../../src/config";

declare global {
  var __testServers: EmbeddedServer[] | undefined;
  /** Folders outside TEST_TMP the run made (the embedded PostgreSQL's data, as root). */
  var __testFolders: string[] | undefined;
}

const quietLog = { info: () => undefined, warn: console.warn, error: console.error, debug: () => undefined };

/**
 * Real servers for the suite: PostgreSQL at DATABASE_URL if given, else an
 * embedded one; an S3-protocol server at S3_ENDPOINT if given, else s3rver.
 * Tests read TEST_DATABASE_URL and TEST_S3_ENDPOINT.
 */
export default async function globalSetup(): Promise<void> {
  const servers: EmbeddedServer[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), "tm-test-"));
  if (process.env.DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
  else {
    const pg = await startEmbeddedPostgres(path.join(dir, "postgres"), 20000 + Math.floor(Math.random() * 20000), quietLog);
    servers.push(pg);
    globalThis.__testFolders = [pg.dataDir];
    process.env.TEST_DATABASE_URL = pg.url;
  }
  if (process.env.S3_ENDPOINT) process.env.TEST_S3_ENDPOINT = process.env.S3_ENDPOINT;
  else {
    const s3 = await startEmbeddedS3(path.join(dir, "s3"), 40000 + Math.floor(Math.random() * 20000), "tm-test-default");
    servers.push(s3);
    process.env.TEST_S3_ENDPOINT = s3.url;
    process.env.TEST_S3_KEY = "S3RVER";
  }
  if (process.env.NATS_URL) process.env.TEST_NATS_URL = process.env.NATS_URL;
  else {
    const nats = await startLocalNats(path.join(dir, "nats"), executableDirs(process.env));
    if (nats) {
      servers.push(nats);
      process.env.TEST_NATS_URL = nats.url;
    }
  }
  process.env.TEST_TMP = dir;
  globalThis.__testServers = servers;
}
