import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { Client } from "pg";
import type { PipelineStats } from "../../src/api/stats";
import { sleep } from "../../src/retry";
import type { TestS3 } from "./infra";

export { chunkIndexOf } from "../../src/chunker/chunker";

const DIST = path.join(__dirname, "..", "..", "dist", "bin");

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** stdout alone. */
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

/**
 * Runs one of the project's programs (from dist/, built by `npm test`) as a real child process;
 * detached: in a process group of its own, as a terminal runs it (kill(-pid) signals the group).
 */
export function startProgram(program: string, args: readonly string[], env: Record<string, string>, options: { detached?: boolean } = {}): RunningProcess {
  const child = spawn(process.execPath, [path.join(DIST, `${program}.js`), ...args], {
    env: { ...process.env, ...env },
    detached: options.detached,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let stdout = "";
  child.stdout.on("data", (d) => ((output += d), (stdout += d)));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? null : 0))));
  return { child, output: () => output, stdout: () => stdout, exited };
}

/** The JSON summary `start --once` prints on stdout. */
export function onceSummary(run: RunningProcess): PipelineStats {
  return JSON.parse(run.stdout()) as PipelineStats;
}

export function pipelineEnv(databaseUrl: string, s3: TestS3, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    API_PORT: "0",
    S3_FLUSH_IDLE_MS: "0",
    LOG_LEVEL: "warn",
    ...extra,
  };
}

export async function query<T = Record<string, unknown>>(databaseUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** chunk-00000007.csv → 7 */
