import { createReadStream } from "node:fs";
import { createServer } from "node:net";
import { access, constants, stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { ConfigError } from "../config";
import { csvRecords } from "../csv/csv-stream";
import { locateColumns } from "../csv/fields";
import { IMPORTANCE_COLUMNS } from "../csv/importance";
import { redactUrl } from "../redact";
import { describeError } from "../retry";
import { BucketMissingError, ObjectStore, parseS3Url } from "../storage/object-store";
import type { ResolvedConfig } from "./runtime";

const REFUSED_CREDENTIALS = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden", "InvalidToken"]);

/**
 * What would otherwise only fail later, inside a work loop that retries
 * forever: the bucket and credentials, the source and the importance file
 * this process's services need. Each problem becomes one ConfigError naming it.
 */
export async function checkInputs(config: ResolvedConfig, store: ObjectStore): Promise<void> {
  if (config.services.includes("api") && config.apiPort !== 0) await checkPortFree(config.apiHost, config.apiPort);
  await checkBucket(store, config.s3.endpoint);
  if (config.services.includes("chunker") && config.source) await checkReadable("--source", config.source, store, config.s3.endpoint);
  if (config.services.includes("ingest") && config.importance) {
    await checkReadable("--importance", config.importance, store, config.s3.endpoint);
    await checkImportanceHeader(config.importance, store);
  }
}

/** Listens on the port for a moment: taken, it is a ConfigError instead of the gateway's fatal stack trace later. */
async function checkPortFree(host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new ConfigError(`API_PORT ${port} is already in use on ${host} (another instance, or another program)`) : err),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** HeadBucket, with a refusal of the credentials or a missing bucket said as such. */
export async function checkBucket(store: ObjectStore, endpoint: string): Promise<void> {
  try {
    await store.checkBucket();
  } catch (err) {
    throw explainS3Error(err, `bucket "${store.bucket}" at ${redactUrl(endpoint)}`);
  }
}

async function checkReadable(what: string, location: string, store: ObjectStore, endpoint: string): Promise<void> {
  const s3 = parseS3Url(location);
  if (s3) {
    const bucket = s3.bucket === store.bucket ? store : new ObjectStore(store.client, s3.bucket);
    if (bucket !== store) await checkBucket(bucket, endpoint).catch((err: Error) => Promise.reject(new ConfigError(`${what} ${location}: ${err.message}`)));
    try {
      await bucket.size(s3.key);
    } catch (err) {
      const status = httpStatus(err);
      if (status === 404) throw new ConfigError(`${what} ${location}: no such object in bucket "${s3.bucket}"`);
      throw explainS3Error(err, `${what} ${location}`);
    }
    return;
  }
  try {
    if (!(await stat(location)).isFile()) throw new ConfigError(`${what} ${location}: not a regular file`);
    await access(location, constants.R_OK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigError(`${what} ${location}: file not found`);
    throw new ConfigError(`${what} ${location}: cannot be read (${describeError(err)})`);
  }
}

/** The importance file must be CSV text whose header names Source, Target and Weight. */
async function checkImportanceHeader(location: string, store: ObjectStore): Promise<void> {
  const s3 = parseS3Url(location);
  const input: Readable = s3 ? await new ObjectStore(store.client, s3.bucket).read(s3.key) : createReadStream(location);
  try {
    const records = csvRecords(input);
    const first = await records.next();
    await records.return(undefined);
    if (first.done) throw new ConfigError("it is empty: a header Source,Target,Weight is required");
    if (first.value.fields.some((f) => /[\u0000-\u0008\u000e-\u001f]/.test(f))) throw new ConfigError("it is not CSV text (binary content)");
    locateColumns(first.value.fields, IMPORTANCE_COLUMNS);
  } catch (err) {
    throw new ConfigError(`--importance ${location}: ${describeError(err)}`);
  } finally {
    input.destroy();
  }
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** An S3 error as a ConfigError when it is about configuration (credentials, bucket); other errors pass unchanged. */
function explainS3Error(err: unknown, what: string): Error {
  const name = (err as { name?: string }).name ?? "";
  const status = httpStatus(err);
  if (REFUSED_CREDENTIALS.has(name) || status === 403) {
    return new ConfigError(`${what}: S3 refused the credentials (${name || `HTTP ${status}`}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`);
  }
  if (err instanceof BucketMissingError || name === "NoSuchBucket") return new ConfigError(`${what}: the bucket does not exist`);
  return err instanceof Error ? err : new Error(String(err));
}
