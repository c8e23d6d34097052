import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generate } from "../../src/demo/generator";
import { sleep } from "../../src/retry";
import { freshBucket, freshDatabase, tempDir, type TestS3 } from "../support/infra";
import { freePort, onceSummary, pipelineEnv, startProgram, waitFor, type RunningProcess } from "../support/pipeline";

let files: { transactions: string; importance: string };
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  files = await generate({ rows: 2_000, seed: 3, outDir: dir, dirty: 0, customers: 50, merchants: 5 });
});

/** The exit code, or "still running" (the process is then killed) when it has not exited within ms. */
async function exitCodeWithin(run: RunningProcess, ms: number): Promise<number | null | "still running"> {
  const code = await Promise.race([run.exited, sleep(ms).then(() => "still running" as const)]);
  if (code === "still running") {
    run.child.kill("SIGKILL");
    await run.exited;
  }
  return code;
}

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe("startup fails fast, in one line, on what cannot work", () => {
  let databaseUrl: string;
  let s3: TestS3;
  beforeAll(async () => {
    [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
  });

  async function expectConfigError(args: string[], message: string, env: Record<string, string> = {}): Promise<void> {
    const run = startProgram("start", args, pipelineEnv(databaseUrl, s3, env));
    expect(await exitCodeWithin(run, 30_000)).toBe(2);
    const lines = run.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^configuration error: /);
    expect(lines[0]).toContain(message);
  }

  it("an importance file that does not exist", async () => {
    const missing = path.join(dir, "no-such-importance.csv");
    await expectConfigError(["--source", files.transactions, "--importance", missing], `--importance ${missing}: file not found`);
  });

  it("an importance file that is not CSV text", async () => {
    const binary = file("importance.bin", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x01, 0x02, 0x0a, 0x03]));
    await expectConfigError(["--source", files.transactions, "--importance", binary], `--importance ${binary}: it is not CSV text`);
  });

  it("an importance file without a Weight column", async () => {
    const noWeight = file("no-weight.csv", "Source,Target,typeTrans\n'C1','M1','es_food'\n");
    await expectConfigError(["--source", files.transactions, "--importance", noWeight], `--importance ${noWeight}: missing required columns: Weight`);
  });

  it("a source file that does not exist", async () => {
    const missing = path.join(dir, "no-such-source.csv");
    await expectConfigError(["--source", missing, "--importance", files.importance], `--source ${missing}: file not found`);
  });

  it("an s3:// source object that does not exist", async () => {
    const url = `s3://${s3.bucket}/nothing-here.csv`;
    await expectConfigError(["--source", url, "--importance", files.importance], `--source ${url}: no such object in bucket "${s3.bucket}"`);
  });

  it("an s3:// source in a bucket that does not exist", async () => {
    const url = "s3://tm-test-no-such-bucket/source.csv";
    await expectConfigError(["--source", url, "--importance", files.importance], 'bucket "tm-test-no-such-bucket"');
  });

  it("a bucket that does not exist", async () => {
    await expectConfigError(["--source", files.transactions, "--importance", files.importance], 'bucket "tm-test-missing" at', {
      S3_BUCKET: "tm-test-missing",
    });
  });

  it("credentials the S3 server refuses", async () => {
    await expectConfigError(["--source", files.transactions, "--importance", files.importance], "S3 refused the credentials", {
      AWS_ACCESS_KEY_ID: "WRONGKEY",
      AWS_SECRET_ACCESS_KEY: "WRONGSECRET",
    });
  });
});

describe("--once on a source without rows", () => {
  it.each([
    ["empty", ""],
    ["header-only", "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n"],
  ])("an %s source finishes with exit 0 and a summary of 0 rows on stdout", async (_, content) => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const source = file(`source-${_}.csv`, content);
    const run = startProgram("start", ["--once", "--source", source, "--importance", files.importance], pipelineEnv(databaseUrl, s3, { LOG_LEVEL: "info" }));
    expect(await exitCodeWithin(run, 60_000)).toBe(0);
    const summary = onceSummary(run);
    expect(summary.chunksWritten).toBe(0);
    expect(summary.chunks.rowsValid + summary.chunks.rowsBad).toBe(0);
    expect(summary.sourceFinished).toBe(true);
  });
});

describe("--once output", () => {
  it("stdout is exactly one JSON document; logs and progress go to stderr", async () => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const run = startProgram(
      "start",
      ["--once", "--source", files.transactions, "--importance", files.importance],
      pipelineEnv(databaseUrl, s3, { LOG_LEVEL: "info" }),
    );
    expect(await run.exited).toBe(0);
    const summary = onceSummary(run);
    expect(summary.sourceFinished).toBe(true);
    expect(run.output().length).toBeGreaterThan(run.stdout().length);
  });
});

describe("health", () => {
  it("turns 503 and names the work loop that keeps failing", async () => {
    const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
    const apiPort = await freePort();
    const source = file("vanishing.csv", "step,customer,age,gender,zipcodeOri,merchant,zipMerchant,category,amount,fraud\n");
    const run = startProgram(
      "start",
      ["--services", "chunker,api", "--source", source],
      pipelineEnv(databaseUrl, s3, { API_PORT: String(apiPort), CHUNK_INTERVAL_MS: "100" }),
    );
    const health = async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/health`);
      return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
    };
    try {
      await waitFor("health ok", async () => (await health()).status === 200);
      rmSync(source);
      await waitFor("health degraded", async () => (await health()).status === 503);
      const { body } = await health();
      expect(body.status).toBe("degraded");
      expect(body.checks.work).toMatch(/^chunker: ENOENT/);
    } finally {
      run.child.kill("SIGTERM");
      await run.exited;
    }
  });
});

describe("stopping during startup", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s while the database connect is being retried exits 0 within 10 s", async (signal) => {
    const s3 = await freshBucket();
    const closedPort = await freePort();
    const run = startProgram(
      "start",
      ["--source", files.transactions, "--importance", files.importance],
      pipelineEnv(`postgres://postgres:postgres@127.0.0.1:${closedPort}/postgres`, s3, { LOG_LEVEL: "warn" }),
    );
    await waitFor("a connect retry", async () => run.output().includes("not reachable"));
    run.child.kill(signal);
    expect(await exitCodeWithin(run, 10_000)).toBe(0);
  });
});

describe("--help", () => {
  it.each(["start", "repl", "generate", "bench", "s3-server", "backtest"])("%s --help prints its usage and exits 0", async (program) => {
    const run = startProgram(program, ["--help"], {});
    expect(await exitCodeWithin(run, 30_000)).toBe(0);
    expect(run.stdout()).toMatch(/^usage: /);
  });
});
