import { parseApiKeys } from "../../src/api/api-keys";
import { freePort } from "../support/pipeline";
import { startServices, type ServiceTestBed } from "../support/service-broker";

const ADMIN = "openapi-admin-secret-5b1e";

interface Operation {
  operationId: string;
  "x-scope": string;
  parameters?: Array<{ name: string; in: "path" | "query" | "header"; example?: string }>;
  requestBody?: { content: { "application/json": { example?: unknown } } };
  responses: Record<string, unknown>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let bed: ServiceTestBed;
let base: string;
let doc: Document;

beforeAll(async () => {
  const apiPort = await freePort();
  bed = await startServices(["merchant-state", "customer-state", "detector", "db-sink", "s3-sink", "alerts", "api"], {
    apiPort,
    apiKeys: parseApiKeys(`ops:admin:${ADMIN}`),
  });
  base = `http://127.0.0.1:${apiPort}`;
  const res = await fetch(`${base}/api/openapi.json`, { headers: { Authorization: `Bearer ${ADMIN}` } });
  expect(res.status).toBe(200);
  doc = (await res.json()) as Document;
});

afterAll(async () => {
  await bed?.stop();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

describe("GET /api/openapi.json", () => {
  it("is OpenAPI 3.1 and describes exactly the routes the gateway serves", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const aliases = await bed.broker.call<Array<{ methods: string; fullPath: string }>>("api.listAliases");
    const served = aliases.map((a) => `${a.methods} ${a.fullPath.replace(/:(\w+)/g, "{$1}")}`).sort();
    expect(
      operations()
        .map((o) => `${o.method} ${o.path}`)
        .sort(),
    ).toEqual(served);
    const ids = operations().map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // What the gateway refuses, the document says: no other properties, and a review changes at least one field.
    const review = doc.paths["/api/detections/{id}"].patch as unknown as {
      requestBody: { content: { "application/json": { schema: Record<string, unknown> } } };
    };
    expect(review.requestBody.content["application/json"].schema).toMatchObject({ additionalProperties: false, minProperties: 1 });
  });

  it("has examples that the API accepts: each answers a status the document lists, never a refusal of the request's form", async () => {
    for (const { path, method, op } of operations()) {
      if (op.responses["200"] === undefined) throw new Error(`${method} ${path} documents no 200`);
      if (path === "/api/detections/stream") continue; // an open stream; test/service/detection-stream.test.ts
      const params = op.parameters ?? [];
      const url = new URL(
        base + path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params.find((p) => p.in === "path" && p.name === name)!.example!)),
      );
      for (const p of params) if (p.in === "query" && p.example !== undefined) url.searchParams.set(p.name, p.example);
      const body = op.requestBody?.content["application/json"].example;
      const res = await fetch(url, {
        method,
        headers: { Authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = `${method} ${url.pathname}${url.search} → ${res.status} ${(await res.text()).slice(0, 200)}`;
      expect([answer, Object.keys(op.responses).includes(String(res.status))]).toEqual([answer, true]);
      expect([answer, [400, 401, 403, 405, 413, 415].includes(res.status)]).toEqual([answer, false]);
    }
  });

  it("is rendered by the docs page, which a browser opens with the key as the password", async () => {
    const page = await fetch(`${base}/api/docs`);
    expect(page.status).toBe(401);
    expect(page.headers.get("www-authenticate")).toMatch(/^Basic /);
    const withKey = await fetch(`${base}/api/docs`, { headers: { Authorization: `Basic ${Buffer.from(`me:${ADMIN}`).toString("base64")}` } });
    expect(withKey.status).toBe(200);
    expect(withKey.headers.get("content-type")).toContain("text/html");
    expect(await withKey.text()).toContain('fetch("openapi.json"');
  });

  it("serves each route only with its own method: an OPTIONS preflight naming another is refused", async () => {
    const res = await fetch(`${base}/api/detections/flush`, {
      method: "OPTIONS",
      headers: { Authorization: `Bearer ${ADMIN}`, "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe("METHOD_NOT_ALLOWED");
  });

  it("checks the list's parameters also for callers other than the gateway (the REPL)", async () => {
    await expect(bed.broker.call("api.detections", { pattern: "PatId9" })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining("pattern must be one of") as string,
    });
    await expect(bed.broker.call("api.detections", { limit: "abc" })).rejects.toMatchObject({ status: 400 });
  });
});
