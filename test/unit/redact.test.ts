import { secretsInEnvironment } from "../../src/config";
import { Redactor, redactSetting, redactUrl, urlSecrets } from "../../src/redact";

describe("redaction", () => {
  it.each([
    ["postgres://app:s3cret@db:5432/monitor", "postgres://app:***@db:5432/monitor"],
    ["database postgres://app:p%40ss@db/x not reachable", "database postgres://app:***@db/x not reachable"],
    ["nats://user:pw@nats:4222,nats://other:pw2@n2:4222", "nats://user:***@nats:4222,nats://other:***@n2:4222"],
    ["nats://sometoken@nats:4222", "nats://***@nats:4222"],
    ["postgres://postgres@127.0.0.1:5432/x", "postgres://postgres@127.0.0.1:5432/x"],
    ["http://minio:9000/bucket", "http://minio:9000/bucket"],
  ])("%s", (text, expected) => {
    expect(redactUrl(text)).toBe(expected);
  });

  it("hides the credentials of a malformed URL setting too", () => {
    expect(redactSetting("postgresql:// app:pw word@db/x")).toBe("postgresql://***@db/x");
    expect(redactSetting("user:pw@db")).toBe("***@db");
    expect(redactSetting("http://minio:9000")).toBe("http://minio:9000");
  });

  it("finds the password or NATS token of a URL, as written and decoded", () => {
    expect(urlSecrets("postgres://app:p%40ss@db/x")).toEqual(["p%40ss", "p@ss"]);
    expect(urlSecrets("nats://tok@nats:4222")).toEqual(["tok", "tok"]);
    expect(urlSecrets("postgres://app@db/x")).toEqual([]);
    expect(urlSecrets(undefined)).toEqual([]);
  });

  it("replaces every known secret, longest first", () => {
    const r = new Redactor(["abcd", "abcdefgh", undefined, "xy"]);
    expect(r.redact("k=abcdefgh k2=abcd xy")).toBe("k=*** k2=*** xy");
  });

  it("knows the secrets of the environment, even in malformed entries", () => {
    const secrets = secretsInEnvironment({
      DATABASE_URL: "postgres://app:dbpass-123@db/x",
      TRANSPORTER: "nats://natstoken-1@nats:4222",
      AWS_SECRET_ACCESS_KEY: "s3-secret-key",
      CLUSTER_SECRET: "new-cluster,old-cluster",
      API_KEYS: "dash:read:dash-secret-0123456,broken-no-scope-secret,ops:admin-secret-only,nosecret:read",
    });
    for (const s of [
      "dbpass-123",
      "natstoken-1",
      "s3-secret-key",
      "new-cluster",
      "old-cluster",
      "dash-secret-0123456",
      "broken-no-scope-secret",
      "admin-secret-only",
    ]) {
      expect(secrets).toContain(s);
    }
    expect(secrets).not.toContain("read");
    expect(secrets).not.toContain("nosecret");
  });
});
