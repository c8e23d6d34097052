import { ConfigError, embeddedS3Defaults, loadBenchSettings, loadConfig, secretsInEnvironment } from "../../src/config";

describe("configuration", () => {
  it("has SPEC.md's defaults", () => {
    const c = loadConfig({}, []);
    expect(c.chunkRows).toBe(10_000);
    expect(c.chunkIntervalMs).toBe(1000);
    expect(c.partitions).toBe(64);
    expect(c.s3.bucket).toBe("transaction-monitoring-bucket");
    expect(c.thresholds).toMatchObject({ upgradeMinMerchantTxns: 50_000, childMinTxns: 80, childMaxAvgAmount: "23", deiMinFemaleCustomers: 100 });
    expect(c.thresholds.upgradeCountQuantile).toMatchObject({ num: 90, den: 100 });
    expect(c.services).toHaveLength(9);
    expect(c.alerts.routes).toEqual([]);
  });

  it("takes CHILD_MAX_AVG_AMOUNT with every decimal it is given", () => {
    expect(loadConfig({ CHILD_MAX_AVG_AMOUNT: "22.995" }, []).thresholds.childMaxAvgAmount).toBe("22.995");
  });

  it("takes flags over the environment", () => {
    const c = loadConfig({ CHUNK_INTERVAL_MS: "500" }, ["--chunk-interval-ms", "20", "--source=s3://b/k.csv", "--once"]);
    expect(c).toMatchObject({ chunkIntervalMs: 20, source: "s3://b/k.csv", once: true });
  });

  it("--once does not wait between chunks unless told to", () => {
    expect(loadConfig({}, ["--once"]).chunkIntervalMs).toBe(0);
    expect(loadConfig({ CHUNK_INTERVAL_MS: "100" }, ["--once"]).chunkIntervalMs).toBe(100);
  });

  it.each([
    [{ CHUNK_ROWS: "-5" }, [], 'CHUNK_ROWS must be an integer from 1 to 10000000, got "-5"'],
    [{ CHUNK_ROWS: "ten" }, [], "CHUNK_ROWS must be an integer"],
    [{ DATABASE_URL: "mysql://x" }, [], "DATABASE_URL must look like postgres://"],
    [{ S3_ENDPOINT: "localhost:9000" }, [], "S3_ENDPOINT must look like http://host:9000"],
    [{ S3_BUCKET: "No_Such" }, [], 'S3_BUCKET "No_Such" is not a valid bucket name'],
    [{ TRANSPORTER: "redis://x" }, [], "TRANSPORTER must look like nats://host:4222"],
    [{ UPGRADE_COUNT_QUANTILE: "2" }, [], "UPGRADE_COUNT_QUANTILE must be"],
    [{ CHILD_MAX_AVG_AMOUNT: "cheap" }, [], 'CHILD_MAX_AVG_AMOUNT: amount "cheap" is not a plain decimal'],
    [{ CHILD_MAX_AVG_AMOUNT: "2.3e1" }, [], 'CHILD_MAX_AVG_AMOUNT: amount "2.3e1" is not a plain decimal'],
    [{}, ["--services", "ingest,nope"], "unknown service(s) nope"],
    [{}, ["--bogus"], "unknown flag --bogus"],
    [{}, ["stray"], 'unexpected argument "stray"'],
    [{ LOG_FORMAT: "xml" }, [], 'LOG_FORMAT must be short or json, got "xml"'],
  ])("rejects %j %j with a clear message", (env, argv, message) => {
    expect(() => loadConfig(env, argv as string[])).toThrow(ConfigError);
    expect(() => loadConfig(env, argv as string[])).toThrow(message);
  });

  it("logs short lines unless LOG_FORMAT=json", () => {
    expect(loadConfig({}, []).logFormat).toBe("short");
    expect(loadConfig({ LOG_FORMAT: "json" }, []).logFormat).toBe("json");
  });

  it("bench and s3-server take their settings from the environment given, not the process's", () => {
    expect(loadBenchSettings({ NATS_URL: "nats://127.0.0.1:4333", PATH: "/opt/nats/bin" })).toMatchObject({
      natsUrl: "nats://127.0.0.1:4333",
      clusterSecret: undefined,
      executableDirs: ["/opt/nats/bin", "/usr/sbin", "/usr/local/bin"],
    });
    expect(embeddedS3Defaults({})).toEqual({ port: "4569", bucket: "transaction-monitoring-bucket" });
    expect(embeddedS3Defaults({ EMBEDDED_S3_PORT: "5000", S3_BUCKET: "b1" })).toEqual({ port: "5000", bucket: "b1" });
  });

  it("bounds a CSV record to MAX_RECORD_BYTES, 1 MiB unless set", () => {
    expect(loadConfig({}, []).maxRecordBytes).toBe(1_048_576);
    expect(loadConfig({ MAX_RECORD_BYTES: "4096" }, []).maxRecordBytes).toBe(4096);
    expect(() => loadConfig({ MAX_RECORD_BYTES: "10" }, [])).toThrow('MAX_RECORD_BYTES must be an integer from 64 to 1073741824, got "10"');
  });
});

describe("API settings", () => {
  const KEY = "dash:read:dash-secret-0123456789";

  it("listens on loopback by default, without keys", () => {
    expect(loadConfig({}, [])).toMatchObject({ apiHost: "127.0.0.1", apiKeys: [] });
  });

  it.each(["0.0.0.0", "10.1.2.3", "::", "example.com"])("refuses API_HOST=%s without API_KEYS", (host) => {
    expect(() => loadConfig({ API_HOST: host }, [])).toThrow(`API_HOST=${host} is not loopback; set API_KEYS`);
  });

  it.each(["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"])("accepts API_HOST=%s without keys", (host) => {
    expect(loadConfig({ API_HOST: host }, []).apiHost).toBe(host);
  });

  it("serves anywhere with keys, and only checks API_HOST where the api runs", () => {
    expect(loadConfig({ API_HOST: "0.0.0.0", API_KEYS: KEY }, []).apiKeys).toEqual([{ name: "dash", scope: "read", secret: "dash-secret-0123456789" }]);
    expect(loadConfig({ API_HOST: "0.0.0.0" }, ["--services", "ingest"]).apiHost).toBe("0.0.0.0");
  });

  it("a malformed API_KEYS entry is a configuration error that does not echo the secret", () => {
    expect(() => loadConfig({ API_KEYS: "dash:reader:dash-secret-0123456789" }, [])).toThrow(ConfigError);
    expect(() => loadConfig({ API_KEYS: "dash:reader:dash-secret-0123456789" }, [])).toThrow(
      /^API_KEYS "dash" \(entry 1\): the scope must be read, review or admin$/,
    );
  });

  it.each([
    [{ DATABASE_URL: "postgresql:// app:hunter2-pw@db/x" }],
    [{ TRANSPORTER: "nats:// user:hunter2-pw@nats:4222" }],
    [{ S3_ENDPOINT: "ftp://user:hunter2-pw@minio" }],
  ])("an invalid URL setting is echoed without its password: %j", (env) => {
    expect(() => loadConfig(env, [])).toThrow(ConfigError);
    expect(() => loadConfig(env, [])).not.toThrow(/hunter2/);
  });
});

describe("alert settings", () => {
  const hook = { ALERT_WEBHOOKS: "ops-hook=https://hooks.example.com/a,audit=http://10.0.0.5:8080/in", ALERT_WEBHOOK_SECRET: "0123456789abcdef" };
  const mail = { ALERT_SMTP_URL: "smtp://u:mailpass@smtp.example.com:587", ALERT_EMAIL_FROM: "alerts@example.com", ALERT_EMAIL_TO: "ops@example.com" };

  it("routes patterns and pipeline problems to the named channels", () => {
    const { alerts } = loadConfig({ ...hook, ...mail, ALERT_ROUTES: "PatId4,PatId5,HIGH-VALUE,pipeline=ops-hook; PatId1=email,audit" }, []);
    expect(alerts.webhooks.map((w) => w.name)).toEqual(["ops-hook", "audit"]);
    expect(alerts.email).toMatchObject({ from: "alerts@example.com", to: ["ops@example.com"], minIntervalMs: 60_000, digestMax: 100 });
    expect(alerts.routes).toEqual(
      expect.arrayContaining([
        { source: "PatId4", channel: "ops-hook" },
        { source: "PatId5", channel: "ops-hook" },
        { source: "pipeline", channel: "ops-hook" },
        { source: "PatId1", channel: "email" },
        { source: "PatId1", channel: "audit" },
      ]),
    );
    expect(alerts.routes).toHaveLength(5); // HIGH-VALUE is PatId4: routed once
    expect(alerts).toMatchObject({ maxAttempts: 8, retryBaseMs: 10_000, retryMaxMs: 3_600_000 });
  });

  it("sends everything to every channel without ALERT_ROUTES", () => {
    const { alerts } = loadConfig({ ...hook }, []);
    expect(alerts.routes).toHaveLength(2 * 7); // six patterns and pipeline, two hooks
  });

  it.each([
    [{ ALERT_WEBHOOKS: "ops=https://h/x" }, "ALERT_WEBHOOK_SECRET is required with ALERT_WEBHOOKS"],
    [{ ...hook, ALERT_WEBHOOK_SECRET: "short" }, "at least 16 characters"],
    [{ ...hook, ALERT_WEBHOOKS: "ops=ftp://h/x" }, "ALERT_WEBHOOKS entries look like name=https://host/path"],
    [{ ...hook, ALERT_WEBHOOKS: "a=http://h/1,a=http://h/2" }, 'webhook "a" is named twice'],
    [{ ...hook, ALERT_WEBHOOKS: "a=https://user:s3cret-token@h/1" }, 'webhook "a" has credentials in its URL'],
    [{ ...hook, ALERT_ROUTES: "PatId1=nowhere" }, 'ALERT_ROUTES: unknown channel "nowhere"'],
    [{ ...hook, ALERT_ROUTES: "PatId9=ops-hook" }, 'ALERT_ROUTES: unknown source "PatId9"'],
    [{ ...hook, ALERT_ROUTES: "PatId1" }, "ALERT_ROUTES rules look like"],
    [{ ALERT_ROUTES: "PatId1=email" }, "ALERT_ROUTES is set but no channel is"],
    [{ ...mail, ALERT_SMTP_URL: "mail.example.com" }, "ALERT_SMTP_URL must look like smtp://"],
    [{ ...mail, ALERT_EMAIL_TO: "" }, "ALERT_EMAIL_TO must be one or more"],
    [{ ALERT_EMAIL_TO: "ops@example.com" }, "need ALERT_SMTP_URL"],
    [{ ...hook, ALERT_RETRY_BASE_MS: "0" }, "ALERT_RETRY_BASE_MS must be an integer from 1"],
  ])("rejects %j with one line", (env, message) => {
    expect(() => loadConfig(env, [])).toThrow(ConfigError);
    expect(() => loadConfig(env, [])).toThrow(message);
  });

  it("never echoes the SMTP password, and knows the alert secrets for redaction", () => {
    expect(() => loadConfig({ ...mail, ALERT_SMTP_URL: "smtp://u:mailpass@ bad" }, [])).not.toThrow(/mailpass/);
    const secrets = secretsInEnvironment({ ...hook, ...mail, ALERT_WEBHOOKS: "slack=https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXX" });
    expect(secrets).toEqual(expect.arrayContaining(["0123456789abcdef", "mailpass", "services/T0/B0/XXXXXXXXXXXXXXXX"]));
  });
});
