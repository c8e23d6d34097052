import { ApiKeyFormatError, ApiKeyring, grants, parseApiKeys } from "../../src/api/api-keys";
import { authorize, checkContentType, checkHost, checkNoNul, presentedSecret, RequestRefused, requiredScope } from "../../src/api/request-checks";
import { ROUTES } from "../../src/api/routes";

const READ_SECRET = "read-secret-0123456789";
const ADMIN_SECRET = "admin-secret-0123456789";

describe("API_KEYS", () => {
  it("parses name:scope:secret entries; empty means no keys", () => {
    expect(parseApiKeys("")).toEqual([]);
    expect(parseApiKeys(` dash:read:${READ_SECRET} , ops:admin:${ADMIN_SECRET}`)).toEqual([
      { name: "dash", scope: "read", secret: READ_SECRET },
      { name: "ops", scope: "admin", secret: ADMIN_SECRET },
    ]);
  });

  it("keeps colons inside a secret", () => {
    expect(parseApiKeys("a:read:with:colons:inside-0123")[0].secret).toBe("with:colons:inside-0123");
  });

  it.each([
    [`dash:${READ_SECRET}`, 'API_KEYS "dash" (entry 1) must look like name:scope:secret'],
    [READ_SECRET, "API_KEYS entry 1 must look like name:scope:secret"],
    [`dash:read:${READ_SECRET},ops:write:${ADMIN_SECRET}`, 'API_KEYS "ops" (entry 2): the scope must be read, review or admin'],
    ["dash:read:short-secret", 'API_KEYS "dash" (entry 1): the secret must be at least 16 characters'],
    [`dash:read:${READ_SECRET},dash:admin:${ADMIN_SECRET}`, 'API_KEYS "dash" (entry 2): the name is used twice'],
    [`a:read:${READ_SECRET},b:admin:${READ_SECRET}`, 'API_KEYS "b" (entry 2): the secret is the same as another key\'s'],
    [`bad name:read:${READ_SECRET}`, "API_KEYS entry 1: the name must be"],
    [`dash:read:${READ_SECRET},`, "API_KEYS entry 2 must look like name:scope:secret"],
  ])("rejects %s, naming the entry and never the secret", (text, message) => {
    let error: unknown;
    try {
      parseApiKeys(text);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiKeyFormatError);
    expect((error as Error).message).toContain(message);
    for (const secret of [READ_SECRET, ADMIN_SECRET, "short-secret"]) expect((error as Error).message).not.toContain(secret);
  });

  it("admin implies review, review implies read", () => {
    expect(grants("admin", "admin")).toBe(true);
    expect(grants("admin", "review")).toBe(true);
    expect(grants("admin", "read")).toBe(true);
    expect(grants("review", "review")).toBe(true);
    expect(grants("review", "read")).toBe(true);
    expect(grants("review", "admin")).toBe(false);
    expect(grants("read", "read")).toBe(true);
    expect(grants("read", "review")).toBe(false);
    expect(grants("read", "admin")).toBe(false);
  });

  it("finds a key by its exact secret only", () => {
    const ring = new ApiKeyring(parseApiKeys(`dash:read:${READ_SECRET},ops:admin:${ADMIN_SECRET}`));
    expect(ring.enabled).toBe(true);
    expect(ring.find(ADMIN_SECRET)?.name).toBe("ops");
    expect(ring.find(READ_SECRET)?.name).toBe("dash");
    expect(ring.find(READ_SECRET.slice(0, -1))).toBeUndefined();
    expect(ring.find(`${READ_SECRET}x`)).toBeUndefined();
    expect(ring.find("")).toBeUndefined();
    expect(new ApiKeyring([]).enabled).toBe(false);
  });
});

describe("request checks", () => {
  const REVIEW_SECRET = "review-key-secret-3c9e1a7b44";
  const ring = new ApiKeyring(parseApiKeys(`dash:read:${READ_SECRET},ops:admin:${ADMIN_SECRET},analyst:review:${REVIEW_SECRET}`));
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
  const refusal = (fn: () => unknown): RequestRefused | undefined => {
    try {
      fn();
    } catch (err) {
      if (err instanceof RequestRefused) return err;
      throw err;
    }
    return undefined;
  };

  it("takes the secret from Bearer, or from Basic's password (the dashboard in a browser)", () => {
    expect(presentedSecret(`Bearer ${READ_SECRET}`)).toBe(READ_SECRET);
    expect(presentedSecret(`bearer ${READ_SECRET}`)).toBe(READ_SECRET);
    expect(presentedSecret(basic("anyone", READ_SECRET))).toBe(READ_SECRET);
    expect(presentedSecret(undefined)).toBeUndefined();
    expect(presentedSecret("Token abc")).toBeUndefined();
  });

  const route = (method: string, path: string) => ROUTES.find((r) => r.method === method && r.path === path)!;
  const stats = route("GET", "/api/stats");
  const flush = route("POST", "/api/detections/flush");
  const review = route("PATCH", "/api/detections/{id}");
  const config = route("PUT", "/api/config");

  it("401 without a known key, 403 when the scope is too small", () => {
    expect(refusal(() => authorize(ring, undefined, stats))?.status).toBe(401);
    expect(refusal(() => authorize(ring, "Bearer wrong-secret-0123456789", stats))?.status).toBe(401);
    expect(refusal(() => authorize(ring, `Bearer ${READ_SECRET}`, flush))?.status).toBe(403);
    expect(authorize(ring, `Bearer ${READ_SECRET}`, stats)?.name).toBe("dash");
    expect(authorize(ring, basic("x", ADMIN_SECRET), flush)?.name).toBe("ops");
  });

  it("decides the scope by the route: a review key may review detections and nothing else that changes state", () => {
    expect(requiredScope(review)).toBe("review");
    expect(requiredScope(config)).toBe("admin");
    expect(requiredScope(route("GET", "/api/detections/{id}"))).toBe("read");
    expect(authorize(ring, `Bearer ${REVIEW_SECRET}`, review)?.name).toBe("analyst");
    expect(authorize(ring, `Bearer ${ADMIN_SECRET}`, review)?.name).toBe("ops");
    expect(refusal(() => authorize(ring, `Bearer ${READ_SECRET}`, review))?.status).toBe(403);
    expect(refusal(() => authorize(ring, `Bearer ${REVIEW_SECRET}`, config))?.message).toBe('API key "analyst" has scope review; this request needs admin');
  });

  it("every route that changes state needs review or admin (default-deny)", () => {
    const changing = ROUTES.filter((r) => r.method !== "GET");
    expect(changing.length).toBeGreaterThan(5);
    for (const r of changing)
      expect([`${r.method} ${r.path}`, r.access]).toEqual([`${r.method} ${r.path}`, r.path === "/api/detections/{id}" ? "review" : "admin"]);
  });

  it("without keys lets reads through and refuses every change of state", () => {
    expect(authorize(new ApiKeyring([]), undefined, stats)).toBeUndefined();
    for (const r of ROUTES.filter((r) => r.method !== "GET")) expect(refusal(() => authorize(new ApiKeyring([]), undefined, r))?.status).toBe(403);
  });

  it("state-changing requests need a JSON content type", () => {
    expect(refusal(() => checkContentType("POST", undefined))?.status).toBe(415);
    expect(refusal(() => checkContentType("POST", "application/x-www-form-urlencoded"))?.status).toBe(415);
    expect(refusal(() => checkContentType("DELETE", undefined))).toBeUndefined(); // no body, and no form can send one
    expect(refusal(() => checkContentType("POST", "application/json; charset=utf-8"))).toBeUndefined();
    expect(refusal(() => checkContentType("GET", undefined))).toBeUndefined();
  });

  it("without keys serves only loopback host names (no DNS rebinding); with keys, any", () => {
    const loopback = [
      "localhost:3000",
      "LOCALHOST",
      "localhost.",
      "app.localhost:3000",
      "127.0.0.1:3000",
      "127.9.9.9",
      "[::1]:3000",
      "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]:3000",
    ];
    for (const host of loopback) expect(() => checkHost(false, host)).not.toThrow();
    const elsewhere = ["attacker.example:3000", "127.0.0.1.nip.io", "localhost.attacker.example", "", "[::1", "user@localhost", "10.0.0.1", "[::ffff:a00:1]"];
    for (const host of elsewhere) {
      expect(() => checkHost(false, host)).toThrow(RequestRefused);
      expect(() => checkHost(true, host)).not.toThrow();
    }
    expect(() => checkHost(false, "attacker.example")).toThrow(/not a loopback name: without API_KEYS the API answers requests to localhost, \*\.localhost/);
  });

  it("refuses NUL characters anywhere in the parameters", () => {
    expect(refusal(() => checkNoNul({ merchant: "M\u00001" }))?.message).toBe('parameter "merchant" contains a NUL character');
    expect(refusal(() => checkNoNul({ a: ["x", { b: "\u0000" }] }))?.status).toBe(400);
    expect(refusal(() => checkNoNul({ "a\u0000": "x" }))?.status).toBe(400);
    expect(refusal(() => checkNoNul({ merchant: "M1", limit: "5" }))).toBeUndefined();
  });
});
