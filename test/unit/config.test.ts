import { ConfigError, loadConfig } from "../../src/config";

describe("configuration", () => {
  it("has SPEC.md's defaults", () => {
    const c = loadConfig({}, []);
    expect(c.chunkRows).toBe(10_000);
    expect(c.chunkIntervalMs).toBe(1000);
    expect(c.partitions).toBe(64);
    expect(c.s3.bucket).toBe("transaction-monitoring-bucket");
    expect(c.thresholds).toMatchObject({ upgradeMinMerchantTxns: 50_000, childMinTxns: 80, childMaxAvgAmount: "23", deiMinFemaleCustomers: 100 });
    expect(c.thresholds.upgradeCountQuantile).toMatchObject({ num: 90, den: 100 });
    expect(c.services).toHaveLength(7);
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
    [{ CHUNK_ROWS: "-5" }, [], "CHUNK_ROWS must be an integer from 1 to 10000000, got \"-5\""],
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
  ])("rejects %j %j with a clear message", (env, argv, message) => {
    expect(() => loadConfig(env, argv as string[])).toThrow(ConfigError);
    expect(() => loadConfig(env, argv as string[])).toThrow(message);
  });

  it("bounds a CSV record to MAX_RECORD_BYTES, 1 MiB unless set", () => {
    expect(loadConfig({}, []).maxRecordBytes).toBe(1_048_576);
    expect(loadConfig({ MAX_RECORD_BYTES: "4096" }, []).maxRecordBytes).toBe(4096);
    expect(() => loadConfig({ MAX_RECORD_BYTES: "10" }, [])).toThrow('MAX_RECORD_BYTES must be an integer from 64 to 1073741824, got "10"');
  });
});
