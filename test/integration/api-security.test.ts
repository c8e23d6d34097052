import { readFileSync } from "node:fs";
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { generate } from "../../src/demo/generator";
import { sleep } from "../../src/retry";
import { dropDatabase, freshBucket, freshDatabase, tempDir, uniqueName, type TestS3 } from "../support/infra";
import { freePort, pipelineEnv, query, startProgram, waitFor, type RunningProcess } from "../support/pipeline";

const READ_SECRET = "read-key-secret-7f3a9c21e5";
const ADMIN_SECRET = "admin-key-secret-b84d02f6aa";
const REVIEW_SECRET = "review-key-secret-4d1e7a93c0";
const API_KEYS = `dashboard:read:${READ_SECRET},operator:admin:${ADMIN_SECRET},analyst:review:${REVIEW_SECRET}`;
const DB_PASSWORD = "db-password-c0ffee-91";
const S3_SECRET = "wrong-s3-secret-5e6d7c";
const SECRETS = [READ_SECRET, ADMIN_SECRET, REVIEW_SECRET, DB_PASSWORD, S3_SECRET];

let files: { transactions: string; importance: string };
let databaseUrl: string;
let s3: TestS3;
let role: string;

/** A database owned by a role of its own that logs in with a password: DATABASE_URL then carries a real one. */
async function databaseWithPassword(): Promise<string> {
  const url = new URL(await freshDatabase());
  role = uniqueName("tm_role_");
  await query(process.env.TEST_DATABASE_URL!, `CREATE ROLE ${role} LOGIN PASSWORD '${DB_PASSWORD}'`);
  await query(process.env.TEST_DATABASE_URL!, `ALTER DATABASE ${url.pathname.slice(1)} OWNER TO ${role}`);
  url.username = role;
  url.password = DB_PASSWORD;
  return url.toString();
}

beforeAll(async () => {
  files = await generate({ rows: 4_000, seed: 11, outDir: tempDir(), dirty: 0, customers: 60, merchants: 6 });
  [databaseUrl, s3] = await Promise.all([databaseWithPassword(), freshBucket()]);
});

afterAll(async () => {
  await dropDatabase(new URL(databaseUrl).pathname.slice(1));
  await query(process.env.TEST_DATABASE_URL!, `DROP ROLE IF EXISTS ${role}`);
});

/** GET with a Host header of our choosing, as a page on a rebound name would send it (fetch does not let a caller set Host). */
function getWithHost(url: string, host: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { ...headers, Host: host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (part: string) => (body += part));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function stop(run: RunningProcess): Promise<void> {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGTERM");
  await run.exited;
}

function expectNoSecret(output: string): void {
  for (const secret of SECRETS) expect(output).not.toContain(secret);
}

/** An address of this machine other than loopback, if it has one. */
function externalAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
}

describe("the API with API_KEYS, on a running pipeline", () => {
  let run: RunningProcess;
  let base: string;
  let port: number;
  const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
  const basic = (secret: string) => ({ Authorization: `Basic ${Buffer.from(`me:${secret}`).toString("base64")}` });
  const timeout = () => AbortSignal.timeout(10_000);
  const get = (path: string, headers: Record<string, string> = bearer(READ_SECRET)) => fetch(`${base}${path}`, { headers, signal: timeout() });
  const post = (path: string, headers: Record<string, string>, body?: string) => fetch(`${base}${path}`, { method: "POST", headers, body, signal: timeout() });
  const json = { "Content-Type": "application/json" };

  /** Every error: a 4xx (or the given status), `{ error: { type, message } }` and nothing else, no stack trace. */
  async function expectError(res: Response, status: number): Promise<{ type: string; message: string }> {
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).not.toMatch(/\n\s+at |stack/i);
    const body = JSON.parse(text) as { error: { type: string; message: string } };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(Object.keys(body.error).sort()).toEqual(["message", "type"]);
    return body.error;
  }

  beforeAll(async () => {
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    run = startProgram(
      "start",
      ["--source", files.transactions, "--importance", files.importance],
      pipelineEnv(databaseUrl, s3, { API_PORT: String(port), API_HOST: "0.0.0.0", API_KEYS, LOG_LEVEL: "debug", CHUNK_ROWS: "1000", CHUNK_INTERVAL_MS: "50" }),
    );
    await waitFor("the API", async () => (await fetch(`${base}/api/health`)).ok);
    await waitFor(
      "every chunk applied",
      async () => (await query<{ n: number }>(databaseUrl, `SELECT count(*)::int AS n FROM chunks WHERE status = 'applied'`))[0].n >= 4,
    );
  });

  afterAll(async () => {
    await stop(run);
  });

  it("serves health without a key", async () => {
    const res = await fetch(`${base}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("answers 401 with a Bearer challenge without a known key", async () => {
    for (const headers of [{}, bearer("not-a-configured-key-000"), { Authorization: READ_SECRET }]) {
      for (const path of ["/api/stats", "/api/detections", "/api/partitions"]) {
        const res = await get(path, headers);
        expect(res.headers.get("www-authenticate")).toBe("Bearer");
        await expectError(res, 401);
      }
    }
    await expectError(await post("/api/detections/flush", json, "{}"), 401);
  });

  it("serves every read route with a read key", async () => {
    for (const path of ["/api/stats", "/api/detections", "/api/partitions"]) expect((await get(path)).status).toBe(200);
    expect((await get("/api/stats", bearer(ADMIN_SECRET))).status).toBe(200);
  });

  it("with keys, serves a request whatever host name it used (a proxy's), the key admitting it", async () => {
    expect((await getWithHost(`${base}/api/stats`, "monitoring.bank.example", bearer(READ_SECRET))).status).toBe(200);
    expect((await getWithHost(`${base}/api/stats`, "monitoring.bank.example")).status).toBe(401);
  });

  it("the flush needs admin: 403 with a read key", async () => {
    const error = await expectError(await post("/api/detections/flush", { ...json, ...bearer(READ_SECRET) }, "{}"), 403);
    expect(error.message).toContain('"dashboard" has scope read');
    expect((await post("/api/detections/flush", { ...json, ...bearer(ADMIN_SECRET) }, "{}")).status).toBe(200);
  });

  it("a review key reviews detections and changes nothing else; a read key only reads, and exports", async () => {
    const [{ id, n }] = await query<{ id: number; n: number }>(databaseUrl, `SELECT min(id)::int AS id, count(*)::int AS n FROM pattern_detections`);
    const patch = (secret: string) =>
      fetch(`${base}/api/detections/${id}`, { method: "PATCH", headers: { ...json, ...bearer(secret) }, body: '{"status":"confirmed"}', signal: timeout() });
    expect((await expectError(await patch(READ_SECRET), 403)).message).toBe('API key "dashboard" has scope read; this request needs review');
    const reviewed = await patch(REVIEW_SECRET);
    expect(reviewed.status).toBe(200);
    expect(await reviewed.json()).toMatchObject({ id, review: { status: "confirmed", updatedBy: "api key analyst" } });
    await expectError(await post("/api/detections/flush", { ...json, ...bearer(REVIEW_SECRET) }, "{}"), 403);
    const csv = await get("/api/detections.csv");
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect((await csv.text()).trimEnd().split("\n")).toHaveLength(n + 1);
  });

  it("state-changing requests take JSON only (no cross-site form posts): 415", async () => {
    const admin = bearer(ADMIN_SECRET);
    await expectError(await post("/api/detections/flush", { ...admin, "Content-Type": "application/x-www-form-urlencoded" }, "a=1"), 415);
    await expectError(await post("/api/detections/flush", { ...admin, "Content-Type": "text/plain" }, "{}"), 415);
    await expectError(await post("/api/detections/flush", admin), 415);
    expect((await post("/api/detections/flush", { ...admin, "Content-Type": "application/json; charset=utf-8" })).status).toBe(200);
  });

  it("the dashboard asks a browser for the key (HTTP Basic), and its fetches work with it", async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="/);
    const page = await fetch(`${base}/`, { headers: basic(READ_SECRET) });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(await page.text()).toContain('api("api/stats")');
    expect((await get("/api/stats", basic(READ_SECRET))).status).toBe(200);
    expect((await fetch(`${base}/`, { headers: basic("wrong-password-000000000") })).status).toBe(401);
  });

  it("answers bad requests with 4xx, never a 500 or a stack trace", async () => {
    expect((await expectError(await get(`/api/detections?cursor=${"A".repeat(10_000)}`), 400)).message).toBe("cursor is not one this API returned");
    await expectError(await get(`/api/detections?cursor=${Buffer.from(`d:${"9".repeat(400)}`).toString("base64url")}`), 400);
    await expectError(await get("/api/detections?cursor=%%%"), 400);
    for (const param of ["merchant", "customer", "pattern", "since", "cursor", "limit"]) {
      await expectError(await get(`/api/detections?${param}=M%00x`), 400);
    }
    await expectError(await get("/api/merchants/M%00x"), 400);
    await expectError(await get("/api/merchants/%E0%A4%A"), 400);
    expect((await expectError(await get("/api/merchants/no-such-merchant"), 404)).message).toContain("no-such-merchant");
    await expectError(await get("/api/no-such-route"), 404);
    await expectError(await get("/no-such-page"), 404);
    await expectError(await fetch(`${base}/api/stats`, { method: "DELETE", headers: bearer(ADMIN_SECRET) }), 404);
    const admin = { ...json, ...bearer(ADMIN_SECRET) };
    expect((await expectError(await post("/api/detections/flush", admin, "{not json"), 400)).type).toBe("INVALID_JSON");
    expect((await expectError(await post("/api/detections/flush", admin, JSON.stringify({ pad: "x".repeat(70 * 1024) })), 413)).type).toBe("BODY_TOO_LARGE");
  });

  it("knows the merchants it has seen", async () => {
    const merchant = readFileSync(files.transactions, "utf8").split("\n")[1].split(",")[5].replace(/'/g, "");
    const res = await get(`/api/merchants/${encodeURIComponent(merchant)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ merchant });
  });

  it("listens on API_HOST: 0.0.0.0 reaches it from another address of this machine", async () => {
    const address = externalAddress();
    if (!address) return;
    expect((await fetch(`http://${address}:${port}/api/health`)).status).toBe(200);
  });

  it("never writes a key or the database password, even at debug level", async () => {
    await sleep(200);
    expect(run.output()).toContain("Authenticated user");
    expectNoSecret(run.output());
  });
});

describe("the API without keys", () => {
  it("listens on 127.0.0.1 only, by default", async () => {
    const port = await freePort();
    const run = startProgram("start", ["--services", "api"], pipelineEnv(databaseUrl, s3, { API_PORT: String(port) }));
    try {
      await waitFor("the API", async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok);
      expect((await fetch(`http://127.0.0.1:${port}/api/stats`)).status).toBe(200);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `app.localhost:${port}`])
        expect((await getWithHost(`http://127.0.0.1:${port}/api/stats`, host)).status).toBe(200);
      // DNS rebinding: a page on attacker.example, its name now resolving to 127.0.0.1, reading the open API.
      for (const path of ["/api/stats", "/api/detections", "/api/health", "/"]) {
        const rebound = await getWithHost(`http://127.0.0.1:${port}${path}`, `attacker.example:${port}`);
        expect(rebound.status).toBe(403);
        expect(JSON.parse(rebound.body)).toMatchObject({ error: { type: "FORBIDDEN_HOST" } });
      }
      const address = externalAddress();
      if (address) await expect(fetch(`http://${address}:${port}/api/health`)).rejects.toThrow();
    } finally {
      await stop(run);
    }
  });

  it("refuses to start on a non-loopback API_HOST", async () => {
    const run = startProgram("start", ["--services", "api"], pipelineEnv(databaseUrl, s3, { API_HOST: "0.0.0.0" }));
    expect(await run.exited).toBe(2);
    expect(run.output().trim()).toMatch(/^configuration error: API_HOST=0\.0\.0\.0 is not loopback; set API_KEYS/);
    expect(run.output().trim().split("\n")).toHaveLength(1);
  });
});

describe("no secret in any output", () => {
  const args = () => ["--source", files.transactions, "--importance", files.importance];

  async function failedOutput(env: Record<string, string>, argv = args()): Promise<string> {
    const run = startProgram("start", argv, pipelineEnv(databaseUrl, s3, { API_KEYS, ...env }));
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([run.exited, new Promise((resolve) => (timer = setTimeout(resolve, 30_000, "still running")))]);
    clearTimeout(timer);
    await stop(run);
    expect(code).toBe(2);
    return run.output();
  }

  it.each([
    ["a malformed DATABASE_URL", { DATABASE_URL: `postgres:// app:${DB_PASSWORD}@db/x` }, "DATABASE_URL must look like"],
    ["a malformed TRANSPORTER", { TRANSPORTER: `nats:// app:${DB_PASSWORD}@nats:4222` }, "TRANSPORTER must look like"],
    ["a malformed API_KEYS entry", { API_KEYS: `dashboard:reader:${READ_SECRET},${ADMIN_SECRET}` }, 'API_KEYS "dashboard" (entry 1)'],
    ["a secret-less API_KEYS entry", { API_KEYS: `dashboard:read:${READ_SECRET},${ADMIN_SECRET}` }, "API_KEYS entry 2 must look like"],
    ["S3 refusing the credentials", { AWS_ACCESS_KEY_ID: "WRONGKEY", AWS_SECRET_ACCESS_KEY: S3_SECRET }, "S3 refused the credentials"],
  ])("%s: one configuration error line, without the secret", async (_, env, message) => {
    const output = await failedOutput(env);
    expect(output).toMatch(/^configuration error: /);
    expect(output).toContain(message);
    expectNoSecret(output);
  });

  it("an unreachable database: the retry lines hide its password", async () => {
    const closed = new URL(databaseUrl);
    closed.port = String(await freePort());
    const run = startProgram("start", args(), pipelineEnv(closed.toString(), s3, { API_KEYS }));
    try {
      await waitFor("a connect retry", async () => run.output().includes("not reachable"));
    } finally {
      await stop(run);
    }
    expect(run.output()).toContain(`${role}:***@`);
    expectNoSecret(run.output());
  });

  it("--help", async () => {
    const run = startProgram("start", ["--help"], pipelineEnv(databaseUrl, s3, { API_KEYS, AWS_SECRET_ACCESS_KEY: S3_SECRET }));
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain("API_KEYS");
    expectNoSecret(run.output());
  });
});
