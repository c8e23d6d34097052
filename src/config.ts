import { isIP } from "node:net";
import { hostname } from "node:os";
import path from "node:path";
import { AlertSettingError, parseAlertSettings, type AlertSettings } from "./alerts/alert-settings";
import { parseApiKeys, type ApiKey } from "./api/api-keys";
import { DEFAULT_MAX_RECORD_BYTES } from "./csv/records";
import { moneySetting } from "./money";
import { TRANSACTION_RULE_DEFAULTS, type PatternThresholds } from "./patterns";
import { parseProbability } from "./quantile";
import { redactSetting, urlSecrets } from "./redact";
import { MIN_SECRET_LENGTH } from "./secret-length";

/** A setting that cannot work; reported as one line, and the process exits non-zero. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export const ALL_SERVICES = ["chunker", "ingest", "merchant-state", "customer-state", "detector", "db-sink", "s3-sink", "alerts", "api"] as const;
export type ServiceName = (typeof ALL_SERVICES)[number];

export interface S3Settings {
  /** Undefined: start the embedded S3-compatible server. */
  readonly endpoint: string | undefined;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string | undefined;
  readonly secretAccessKey: string | undefined;
}

export interface Config {
  readonly nodeId: string;
  readonly services: readonly ServiceName[];
  /** Undefined: no transporter, everything in this process. */
  readonly transporter: string | undefined;
  /** With a transporter: packets are sealed with the first and accepted under any (rotation: `new,old`). */
  readonly clusterSecrets: readonly string[];
  /** Undefined: start the embedded PostgreSQL. */
  readonly databaseUrl: string | undefined;
  readonly s3: S3Settings;
  readonly dataDir: string;
  /** Undefined: generate (on first run) and use the demo data. */
  readonly source: string | undefined;
  readonly importance: string | undefined;
  readonly chunkRows: number;
  /** Longest CSV record, in bytes; a longer one is quarantined. */
  readonly maxRecordBytes: number;
  readonly chunkIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly partitions: number;
  readonly checkpointEvery: number;
  /** The blacklist is empty here: the detector reads `blacklist` and records it with the thresholds. */
  readonly thresholds: PatternThresholds;
  /** A local path or s3://bucket/key of an `id,reason` CSV; undefined: keep the blacklist recorded last. */
  readonly blacklist: string | undefined;
  readonly s3FlushIdleMs: number;
  /** Fault injection for crash tests only: s3-sink waits this long between writing an object and recording it. */
  readonly faultPauseAfterS3WriteMs: number;
  readonly apiPort: number;
  /** The address the API listens on; anything but loopback needs apiKeys. */
  readonly apiHost: string;
  /** Empty: the API is open (allowed only on loopback). */
  readonly apiKeys: readonly ApiKey[];
  /** Where detections and pipeline problems are sent; no channel: the alerts service is idle. */
  readonly alerts: AlertSettings;
  readonly embeddedPgPort: number;
  readonly embeddedS3Port: number;
  readonly once: boolean;
  readonly logLevel: "error" | "warn" | "info" | "debug";
  readonly logFormat: "short" | "json";
}

export type Env = Readonly<Record<string, string | undefined>>;

/** One row of the README's configuration table. */
interface Setting {
  readonly env?: string;
  readonly flag?: string;
  readonly fallback: string;
}

const SETTINGS = {
  nodeId: { env: "NODE_ID", fallback: "" },
  services: { flag: "services", fallback: ALL_SERVICES.join(",") },
  transporter: { env: "TRANSPORTER", flag: "transporter", fallback: "" },
  clusterSecret: { env: "CLUSTER_SECRET", fallback: "" },
  databaseUrl: { env: "DATABASE_URL", fallback: "" },
  s3Endpoint: { env: "S3_ENDPOINT", fallback: "" },
  s3Bucket: { env: "S3_BUCKET", fallback: "transaction-monitoring-bucket" },
  awsRegion: { env: "AWS_REGION", fallback: "us-east-1" },
  dataDir: { env: "DATA_DIR", fallback: ".data" },
  source: { env: "SOURCE", flag: "source", fallback: "" },
  importance: { env: "IMPORTANCE", flag: "importance", fallback: "" },
  chunkRows: { env: "CHUNK_ROWS", fallback: "10000" },
  maxRecordBytes: { env: "MAX_RECORD_BYTES", fallback: String(DEFAULT_MAX_RECORD_BYTES) },
  chunkIntervalMs: { env: "CHUNK_INTERVAL_MS", flag: "chunk-interval-ms", fallback: "1000" },
  pollIntervalMs: { env: "POLL_INTERVAL_MS", fallback: "1000" },
  partitions: { env: "PARTITIONS", fallback: "64" },
  checkpointEvery: { env: "CHECKPOINT_EVERY_CHUNKS", fallback: "10" },
  upgradeMinMerchantTxns: { env: "UPGRADE_MIN_MERCHANT_TXNS", fallback: "50000" },
  upgradeCountQuantile: { env: "UPGRADE_COUNT_QUANTILE", fallback: "0.90" },
  upgradeWeightQuantile: { env: "UPGRADE_WEIGHT_QUANTILE", fallback: "0.10" },
  childMinTxns: { env: "CHILD_MIN_TXNS", fallback: "80" },
  childMaxAvgAmount: { env: "CHILD_MAX_AVG_AMOUNT", fallback: "23" },
  deiMinFemaleCustomers: { env: "DEI_MIN_FEMALE_CUSTOMERS", fallback: "100" },
  highValueMinAmount: { env: "HIGH_VALUE_MIN_AMOUNT", fallback: TRANSACTION_RULE_DEFAULTS.highValueMinAmount },
  anomalyMinHistory: { env: "ANOMALY_MIN_HISTORY", fallback: String(TRANSACTION_RULE_DEFAULTS.anomalyMinHistory) },
  anomalyZ: { env: "ANOMALY_Z", fallback: TRANSACTION_RULE_DEFAULTS.anomalyZ },
  blacklist: { env: "BLACKLIST", flag: "blacklist", fallback: "" },
  s3FlushIdleMs: { env: "S3_FLUSH_IDLE_MS", fallback: "30000" },
  faultPauseAfterS3WriteMs: { env: "FAULT_S3_SINK_PAUSE_AFTER_WRITE_MS", fallback: "0" },
  apiPort: { env: "API_PORT", fallback: "3000" },
  apiHost: { env: "API_HOST", fallback: "127.0.0.1" },
  apiKeys: { env: "API_KEYS", fallback: "" },
  alertWebhooks: { env: "ALERT_WEBHOOKS", fallback: "" },
  alertWebhookSecret: { env: "ALERT_WEBHOOK_SECRET", fallback: "" },
  alertWebhookTimeoutMs: { env: "ALERT_WEBHOOK_TIMEOUT_MS", fallback: "10000" },
  alertSmtpUrl: { env: "ALERT_SMTP_URL", fallback: "" },
  alertEmailFrom: { env: "ALERT_EMAIL_FROM", fallback: "" },
  alertEmailTo: { env: "ALERT_EMAIL_TO", fallback: "" },
  alertEmailMinIntervalMs: { env: "ALERT_EMAIL_MIN_INTERVAL_MS", fallback: "60000" },
  alertEmailDigestMax: { env: "ALERT_EMAIL_DIGEST_MAX", fallback: "100" },
  alertRoutes: { env: "ALERT_ROUTES", fallback: "" },
  alertMaxAttempts: { env: "ALERT_MAX_ATTEMPTS", fallback: "8" },
  alertRetryBaseMs: { env: "ALERT_RETRY_BASE_MS", fallback: "10000" },
  alertRetryMaxMs: { env: "ALERT_RETRY_MAX_MS", fallback: "3600000" },
  alertSinkStuckMs: { env: "ALERT_SINK_STUCK_MS", fallback: "300000" },
  alertQuarantineRate: { env: "ALERT_QUARANTINE_RATE", fallback: "0.05" },
  embeddedPgPort: { env: "EMBEDDED_PG_PORT", fallback: "54329" },
  embeddedS3Port: { env: "EMBEDDED_S3_PORT", fallback: "4569" },
  logLevel: { env: "LOG_LEVEL", fallback: "info" },
  logFormat: { env: "LOG_FORMAT", fallback: "short" },
} satisfies Record<string, Setting>;

/** The settings table as help text: one line per flag or environment variable, with its default. */
export function describeSettings(): string {
  return Object.values(SETTINGS as Record<string, Setting>)
    .map((s) => `  ${[s.flag && `--${s.flag}`, s.env].filter(Boolean).join(" / ").padEnd(44)} ${s.fallback === "" ? "(unset)" : `default ${s.fallback}`}`)
    .join("\n");
}

/** Parses `--name value`, `--name=value` and bare `--flag` arguments. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}" (flags look like --name value)`);
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags.set(arg.slice(2), argv[++i]);
    else flags.set(arg.slice(2), "true");
  }
  return flags;
}

const KNOWN_FLAGS = new Set(["services", "transporter", "source", "importance", "blacklist", "chunk-interval-ms", "once"]);

export function loadConfig(env: Env, argv: readonly string[], extraFlags: readonly string[] = []): Config {
  const flags = parseFlags(argv);
  for (const name of flags.keys()) {
    if (!KNOWN_FLAGS.has(name) && !extraFlags.includes(name)) throw new ConfigError(`unknown flag --${name}`);
  }
  const raw = (s: Setting): string => {
    const fromFlag = s.flag ? flags.get(s.flag) : undefined;
    const fromEnv = s.env ? env[s.env] : undefined;
    return (fromFlag ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : s.fallback)).trim();
  };
  const optional = (s: Setting): string | undefined => raw(s) || undefined;
  const int = (s: Setting, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const text = raw(s);
    const value = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new ConfigError(`${s.env ?? `--${s.flag}`} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, got "${text}"`);
    }
    return value;
  };
  const wrap = <T>(s: Setting, parse: (text: string, what: string) => T): T => {
    try {
      return parse(raw(s), s.env ?? `--${s.flag}`);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  };

  const services = raw(SETTINGS.services)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = services.filter((s) => !(ALL_SERVICES as readonly string[]).includes(s));
  if (unknown.length > 0 || services.length === 0) {
    throw new ConfigError(`--services: unknown service(s) ${unknown.join(", ") || "(none given)"}; known: ${ALL_SERVICES.join(", ")}`);
  }
  const transporter = optional(SETTINGS.transporter);
  if (transporter && !transporter.split(",").every((url) => /^nats:\/\/\S+$/i.test(url.trim()) && URL.canParse(url.trim()))) {
    throw new ConfigError(
      `TRANSPORTER must look like nats://host:4222 (or nats://user:pass@host:4222, nats://token@host:4222; several comma-separated), got "${redactSetting(transporter)}"`,
    );
  }
  const clusterSecrets = clusterSecretsFrom(raw(SETTINGS.clusterSecret), transporter);
  const databaseUrl = optional(SETTINGS.databaseUrl);
  if (databaseUrl && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must look like postgres://user@host:5432/db, got "${redactSetting(databaseUrl)}"`);
  }
  const endpoint = optional(SETTINGS.s3Endpoint);
  if (endpoint && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new ConfigError(`S3_ENDPOINT must look like http://host:9000, got "${redactSetting(endpoint)}"`);
  }
  const bucket = raw(SETTINGS.s3Bucket);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new ConfigError(`S3_BUCKET "${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
  }
  const logLevel = raw(SETTINGS.logLevel);
  if (!["error", "warn", "info", "debug"].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be error, warn, info or debug, got "${logLevel}"`);
  }
  const logFormat = raw(SETTINGS.logFormat);
  if (!["short", "json"].includes(logFormat)) throw new ConfigError(`LOG_FORMAT must be short or json, got "${logFormat}"`);
  const apiHost = raw(SETTINGS.apiHost);
  const apiKeys = wrap(SETTINGS.apiKeys, parseApiKeys);
  if (services.includes("api") && apiKeys.length === 0 && !isLoopback(apiHost)) {
    throw new ConfigError(`API_HOST=${apiHost} is not loopback; set API_KEYS (name:scope:secret, comma-separated) to serve the API there`);
  }
  const services_ = services as ServiceName[];
  const role = services_.length === ALL_SERVICES.length ? "all" : services_.join("+");

  return {
    nodeId: optional(SETTINGS.nodeId) ?? `${hostname()}-${role}`,
    services: services_,
    transporter,
    clusterSecrets,
    databaseUrl,
    s3: {
      endpoint,
      bucket,
      region: raw(SETTINGS.awsRegion),
      accessKeyId: env.AWS_ACCESS_KEY_ID || undefined,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || undefined,
    },
    dataDir: path.resolve(raw(SETTINGS.dataDir)),
    source: optional(SETTINGS.source),
    importance: optional(SETTINGS.importance),
    chunkRows: int(SETTINGS.chunkRows, 1, 10_000_000),
    maxRecordBytes: int(SETTINGS.maxRecordBytes, 64, 1 << 30),
    // --once exists to get a result, not to watch it arrive: no pause between chunks unless asked for.
    chunkIntervalMs: flags.get("once") === "true" && !flags.has("chunk-interval-ms") && !env.CHUNK_INTERVAL_MS ? 0 : int(SETTINGS.chunkIntervalMs, 0),
    pollIntervalMs: int(SETTINGS.pollIntervalMs, 10),
    partitions: int(SETTINGS.partitions, 1, 4096),
    checkpointEvery: int(SETTINGS.checkpointEvery, 1, 10_000),
    thresholds: {
      upgradeMinMerchantTxns: int(SETTINGS.upgradeMinMerchantTxns, 0),
      upgradeCountQuantile: wrap(SETTINGS.upgradeCountQuantile, parseProbability),
      upgradeWeightQuantile: wrap(SETTINGS.upgradeWeightQuantile, parseProbability),
      childMinTxns: int(SETTINGS.childMinTxns, 1),
      childMaxAvgAmount: wrap(SETTINGS.childMaxAvgAmount, moneySetting),
      deiMinFemaleCustomers: int(SETTINGS.deiMinFemaleCustomers, 0),
      highValueMinAmount: wrap(SETTINGS.highValueMinAmount, moneySetting),
      anomalyMinHistory: int(SETTINGS.anomalyMinHistory, 0),
      anomalyZ: wrap(SETTINGS.anomalyZ, moneySetting),
      blacklist: [],
      disabledPatterns: [],
    },
    blacklist: optional(SETTINGS.blacklist),
    s3FlushIdleMs: int(SETTINGS.s3FlushIdleMs, 0),
    faultPauseAfterS3WriteMs: int(SETTINGS.faultPauseAfterS3WriteMs, 0),
    apiPort: int(SETTINGS.apiPort, 0, 65535),
    apiHost,
    apiKeys,
    alerts: alertSettings(raw, int),
    embeddedPgPort: int(SETTINGS.embeddedPgPort, 1, 65535),
    embeddedS3Port: int(SETTINGS.embeddedS3Port, 1, 65535),
    once: flags.get("once") === "true",
    logLevel: logLevel as Config["logLevel"],
    logFormat: logFormat as Config["logFormat"],
  };
}

/** What `npm run bench` takes from the environment besides npm start's settings, which it passes on to its children. */
export interface BenchSettings {
  /** Undefined: start a nats-server of its own for --cluster. */
  readonly natsUrl: string | undefined;
  /** Undefined: a random one for the run. */
  readonly clusterSecret: string | undefined;
  /** Undefined: warn in the bench process, info in its children. */
  readonly logLevel: string | undefined;
  readonly executableDirs: readonly string[];
  readonly environment: Env;
}

export function loadBenchSettings(env: Env): BenchSettings {
  return {
    natsUrl: env.NATS_URL || undefined,
    clusterSecret: env.CLUSTER_SECRET || undefined,
    logLevel: env.LOG_LEVEL,
    executableDirs: executableDirs(env),
    environment: env,
  };
}

/** Where to look for a program: PATH, then the sbin and local folders a package may install into. */
export function executableDirs(env: Env): string[] {
  return [...(env.PATH ?? "").split(":").filter(Boolean), "/usr/sbin", "/usr/local/bin"];
}

/** `npm run s3-server`'s defaults for --port and --bucket: the embedded S3 settings of npm start. */
export function embeddedS3Defaults(env: Env): { port: string; bucket: string } {
  const pick = (s: Setting) => (s.env && env[s.env]) || s.fallback;
  return { port: pick(SETTINGS.embeddedS3Port), bucket: pick(SETTINGS.s3Bucket) };
}

/** A setting that is a share from 0 to 1 (`0.05`), as a number. */
function shareOf(text: string, what: string): number {
  const p = parseProbability(text, what);
  return p.num / p.den;
}

/** The ALERT_* settings; a bad one is a ConfigError. */
function alertSettings(raw: (s: Setting) => string, int: (s: Setting, min: number, max?: number) => number): AlertSettings {
  const share = (s: Setting): number => shareOf(raw(s), s.env!);
  try {
    return parseAlertSettings(
      {
        webhooks: raw(SETTINGS.alertWebhooks),
        webhookSecret: raw(SETTINGS.alertWebhookSecret),
        smtpUrl: raw(SETTINGS.alertSmtpUrl),
        emailFrom: raw(SETTINGS.alertEmailFrom),
        emailTo: raw(SETTINGS.alertEmailTo),
        routes: raw(SETTINGS.alertRoutes),
      },
      {
        webhookTimeoutMs: int(SETTINGS.alertWebhookTimeoutMs, 100, 600_000),
        emailMinIntervalMs: int(SETTINGS.alertEmailMinIntervalMs, 0),
        emailDigestMax: int(SETTINGS.alertEmailDigestMax, 1, 10_000),
        maxAttempts: int(SETTINGS.alertMaxAttempts, 1, 1000),
        retryBaseMs: int(SETTINGS.alertRetryBaseMs, 1),
        retryMaxMs: int(SETTINGS.alertRetryMaxMs, 1),
        sinkStuckMs: int(SETTINGS.alertSinkStuckMs, 0),
        quarantineRate: share(SETTINGS.alertQuarantineRate),
      },
    );
  } catch (err) {
    if (err instanceof AlertSettingError) throw new ConfigError(err.message);
    throw err;
  }
}

/** `CLUSTER_SECRET=new,old`: the first seals, any opens. Required, and long enough, once packets leave the process. */
function clusterSecretsFrom(text: string, transporter: string | undefined): string[] {
  const secrets = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!transporter) return secrets;
  if (secrets.length === 0) {
    throw new ConfigError("CLUSTER_SECRET is required with TRANSPORTER: every node of the cluster needs the same secret (e.g. `openssl rand -hex 32`)");
  }
  if (secrets.some((s) => s.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError(`CLUSTER_SECRET: each secret needs at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`);
  }
  return secrets;
}

/** A webhook URL's path and query this long may hold a token, and are hidden in output; shorter ones (`/alerts`) are shown. */
const TOKEN_PATH_LENGTH = 16;

/** The password of a webhook URL, and its path and query when long enough to hold a token (as Slack's do). */
function webhookUrlSecrets(url: string): string[] {
  if (!URL.canParse(url)) return [];
  const { pathname, search } = new URL(url);
  const rest = pathname.slice(1) + search;
  return [...urlSecrets(url), ...(rest.length >= TOKEN_PATH_LENGTH ? [rest] : [])];
}

/** localhost, 127.0.0.0/8 and ::1 (also as an IPv4-mapped address, dotted or in hex as URLs write it: ::ffff:7f00:1). */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (address === "localhost") return true;
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(address);
  if (mappedHex) return parseInt(mappedHex[1], 16) >> 8 === 127;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  if (isIP(v4) === 4) return v4.startsWith("127.");
  return isIP(address) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(address);
}

/**
 * The secret values the environment holds, read leniently (a malformed entry's
 * secret is still found), so that output can be redacted before the
 * configuration is even validated.
 */
export function secretsInEnvironment(env: Env): string[] {
  const apiKeySecrets = (env.API_KEYS ?? "").split(",").map((entry) => {
    const parts = entry.trim().split(":");
    if (parts.length >= 3) return parts.slice(2).join(":");
    if (parts.length === 2) return ["read", "admin"].includes(parts[1]) ? undefined : parts[1];
    return parts[0];
  });
  return [
    ...urlSecrets(env.DATABASE_URL),
    ...urlSecrets(env.TRANSPORTER),
    ...urlSecrets(env.S3_ENDPOINT),
    env.AWS_SECRET_ACCESS_KEY,
    ...(env.CLUSTER_SECRET ?? "").split(","),
    ...apiKeySecrets,
    env.ALERT_WEBHOOK_SECRET,
    ...urlSecrets(env.ALERT_SMTP_URL),
    // A webhook URL's credentials, and its path: many services put the token there (https://hooks.example/T0/B0/secret).
    ...(env.ALERT_WEBHOOKS ?? "").split(",").flatMap((entry) => webhookUrlSecrets(entry.slice(entry.indexOf("=") + 1).trim())),
  ]
    .filter((s): s is string => typeof s === "string" && s.trim() !== "")
    .map((s) => s.trim());
}
