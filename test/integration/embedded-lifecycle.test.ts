import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { generate } from "../../src/demo/generator";
import { SCALED_ENV, SCALED_THRESHOLDS, TEST_CHUNK_ROWS } from "../support/expectations";
import { tempDir } from "../support/infra";
import { freePort, onceSummary, query, startProgram, waitFor } from "../support/pipeline";
import { referenceDetections, type ReferenceResult } from "../support/reference";

let files: { transactions: string; importance: string };
let reference: ReferenceResult;

beforeAll(async () => {
  files = await generate({ rows: 24_000, seed: 11, outDir: tempDir(), dirty: 0.01, customers: 300, merchants: 12 });
  reference = referenceDetections(readFileSync(files.transactions, "utf8"), readFileSync(files.importance, "utf8"), TEST_CHUNK_ROWS, SCALED_THRESHOLDS);
});

/** One process on its own embedded PostgreSQL and S3 server, as `npm start` runs it. */
async function embeddedEnv(dataDir: string): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    ...SCALED_ENV,
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(await freePort()),
    EMBEDDED_S3_PORT: String(await freePort()),
    API_PORT: "0",
    S3_FLUSH_IDLE_MS: "0",
    LOG_LEVEL: "info",
    CHUNK_INTERVAL_MS: "150",
  };
  for (const name of ["DATABASE_URL", "S3_ENDPOINT", "S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "TRANSPORTER"]) env[name] = "";
  return env;
}

/** The embedded server's URL, with the password it was initialised with (DATA_DIR/postgres-password). */
const embeddedDatabase = (env: Record<string, string>, password = readFileSync(path.join(env.DATA_DIR, "postgres-password"), "utf8").trim()) =>
  `postgres://postgres:${password}@127.0.0.1:${env.EMBEDDED_PG_PORT}/postgres`;

describe("an embedded one-process run", () => {
  it("Ctrl-C to the whole process group stops it cleanly, the database last; the next run resumes and completes exactly", async () => {
    const env = await embeddedEnv(path.join(tempDir(), "data"));
    const args = ["--source", files.transactions, "--importance", files.importance];
    const first = startProgram("start", args, env, { detached: true });
    await waitFor(
      "3 chunks applied",
      async () => (await query<{ n: number }>(embeddedDatabase(env), `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n >= 3,
    );
    // Its password is random, kept for this user only: no other local user logs in with a well-known one.
    expect(statSync(path.join(env.DATA_DIR, "postgres-password")).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(env.DATA_DIR, "postgres-password"), "utf8").trim()).toMatch(/^[0-9a-f]{48}$/);
    await expect(query(embeddedDatabase(env, "postgres"), "SELECT 1")).rejects.toThrow(/password authentication failed/);
    process.kill(-first.child.pid!, "SIGINT"); // what a terminal's Ctrl-C does
    expect(await first.exited).toBe(0);
    expect(first.output()).not.toMatch(/terminating connection|administrator command|Connection terminated|ECONNREFUSED|ERROR|WARN/);

    const second = startProgram("start", ["--once", ...args], env, { detached: true });
    expect(await second.exited).toBe(0);
    const summary = onceSummary(second);
    expect(summary.chunks.applied).toBe(reference.chunks);
    expect(summary.chunks.rowsBad).toBe(reference.badRows.length);
    const byPattern: Record<string, number> = {};
    for (const d of reference.detections) byPattern[d.patternId] = (byPattern[d.patternId] ?? 0) + 1;
    expect(summary.inDatabase).toEqual(byPattern);
    expect(summary.detections.total).toBe(reference.detections.length);
  });

  it("a second instance on the same DATA_DIR exits non-zero with one line naming what runs there", async () => {
    const dataDir = path.join(tempDir(), "data");
    const env = await embeddedEnv(dataDir);
    const first = startProgram("start", ["--source", files.transactions, "--importance", files.importance], env);
    try {
      await waitFor("the first instance's database", async () => (await query(embeddedDatabase(env), "SELECT 1")).length === 1);
      const second = startProgram("start", ["--source", files.transactions, "--importance", files.importance], {
        ...env,
        EMBEDDED_PG_PORT: String(await freePort()),
        EMBEDDED_S3_PORT: String(await freePort()),
      });
      expect(await second.exited).not.toBe(0);
      const lines = second.output().trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`another instance (pid ${first.child.pid}) is already running on ${dataDir}`);
      expect(lines[0]).toMatch(/PostgreSQL \(pid \d+, data /);
    } finally {
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
    }
  });

  it("a lost password file is one line saying which file, not a minute of retries", async () => {
    const dataDir = path.join(tempDir(), "data");
    const env = { ...(await embeddedEnv(dataDir)), LOG_LEVEL: "warn" };
    const first = startProgram("start", ["--services", "detector"], env);
    await waitFor("the database", async () => (await query(embeddedDatabase(env), "SELECT 1")).length === 1);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    rmSync(path.join(dataDir, "postgres-password"));
    const second = startProgram("start", ["--services", "detector"], env);
    expect(await second.exited).toBe(2);
    expect(second.output().trim()).toMatch(
      /^configuration error: the embedded PostgreSQL in \S+ refused the password in \S+postgres-password \(the file is missing\)/,
    );
    expect(second.output().trim().split("\n")).toHaveLength(1);
  });

  it("a data folder from before random passwords gets one at its next start, and the old fixed one stops working", async () => {
    const dataDir = path.join(tempDir(), "data");
    const env = { ...(await embeddedEnv(dataDir)), LOG_LEVEL: "info" };
    const first = startProgram("start", ["--services", "detector"], env);
    // Started: the launcher has settled the server's password, which the change below must come after.
    await waitFor("the first start", async () => first.output().includes("LAUNCHER: started"));
    // What a folder made by an earlier version looks like: the fixed password, and no password file.
    await query(embeddedDatabase(env), "ALTER ROLE postgres PASSWORD 'postgres'");
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    rmSync(path.join(dataDir, "postgres-password"));

    const second = startProgram("start", ["--services", "detector"], env);
    try {
      const exitedEarly = second.exited.then((code) => {
        throw new Error(`start exited with ${code}: ${second.output()}`);
      });
      await Promise.race([
        waitFor("the database with the new password", async () => (await query(embeddedDatabase(env), "SELECT 1")).length === 1),
        exitedEarly,
      ]);
      expect(statSync(path.join(dataDir, "postgres-password")).mode & 0o777).toBe(0o600);
      await expect(query(embeddedDatabase(env, "postgres"), "SELECT 1")).rejects.toThrow(/password authentication failed/);
      await waitFor("the log line", async () => second.output().includes("gave the embedded PostgreSQL a random password in place of its old fixed one"));
    } finally {
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    }
  });

  it("the API port in use is one line, not a stack trace", async () => {
    const dataDir = path.join(tempDir(), "data");
    const env = await embeddedEnv(dataDir);
    const { createServer } = await import("node:net");
    const taken = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => taken.once("listening", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const run = startProgram("start", ["--source", files.transactions, "--importance", files.importance], {
        ...env,
        API_PORT: String(port),
        LOG_LEVEL: "warn",
      });
      expect(await run.exited).toBe(2);
      expect(run.output().trim()).toBe(`configuration error: API_PORT ${port} is already in use on 127.0.0.1 (another instance, or another program)`);
    } finally {
      taken.close();
    }
  });
});
