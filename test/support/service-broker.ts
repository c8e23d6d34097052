import { ServiceBroker, type ServiceSchema } from "moleculer";
import { SERVICE_FACTORIES } from "../../services";
import { METRICS_OPTIONS } from "../../services/node-metrics";
import { dependenciesOnNotice } from "../../services/service-availability";
import { Runtime, type ResolvedConfig } from "../../src/app/runtime";
import { loadConfig, type ServiceName } from "../../src/config";
import { sleep } from "../../src/retry";
import { freshBucket, freshDatabase, type TestS3 } from "./infra";

export const quietLog = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

export interface ServiceTestBed {
  readonly broker: ServiceBroker;
  readonly rt: Runtime;
  readonly s3: TestS3;
  stop(): Promise<void>;
}

/**
 * Starts the named services in one broker with no transporter, on a fresh
 * database and bucket, with the default configuration plus `overrides`.
 * `extra` services (e.g. an event listener) join the same broker.
 */
export async function startServices(
  names: readonly ServiceName[],
  overrides: Partial<ResolvedConfig> = {},
  extra: readonly ServiceSchema[] = [],
): Promise<ServiceTestBed> {
  const [databaseUrl, s3] = await Promise.all([freshDatabase(), freshBucket()]);
  const defaults = loadConfig({}, []);
  const config: ResolvedConfig = {
    ...defaults,
    databaseUrl,
    s3: { ...defaults.s3, endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    source: undefined,
    importance: undefined,
    ...overrides,
  };
  const rt = new Runtime(config, quietLog);
  const broker = new ServiceBroker({ nodeID: config.nodeId, transporter: null, logger: false, middlewares: [dependenciesOnNotice], metrics: METRICS_OPTIONS });
  for (const name of names) broker.createService(SERVICE_FACTORIES[name](rt));
  for (const schema of extra) broker.createService(schema);
  await broker.start();
  return {
    broker,
    rt,
    s3,
    async stop() {
      await broker.stop();
      await rt.close();
    },
  };
}

/** Polls `read` until `done` holds of its value, or fails after `timeoutMs` with the last value. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

/**
 * Puts `count` committed detections into the outbox, as merchant-state would: CHILD for customers
 * C<first>, C<first+1>, ... at M1, C<i> with the explanation {"n": 80 + i, "avg": "22.500000"}.
 */
export async function commitDetections(rt: Runtime, count: number, first = 0): Promise<void> {
  const ds = await rt.db();
  await ds.query(
    `INSERT INTO detection_outbox (partition, chunk_seq, chunk, patternid, actiontype, customer, merchant, ystarttime, detectiontime, explanation)
     SELECT 0, 1, 'transaction-chunks/t/chunk-1.csv', 'PatId2', 'CHILD', 'C' || i, 'M1', now(), now(), jsonb_build_object('n', 80 + i, 'avg', '22.500000')
     FROM generate_series($2::int, $2::int + $1::int - 1) AS i`,
    [count, first],
  );
}

export const TRANSACTIONS_HEADER = '"step","customer","age","gender","zipcodeOri","merchant","zipMerchant","category","amount","fraud"';

/** A transactions CSV line of the given customer at the given merchant. */
export function transactionLine(customer: string, merchant: string, amount: string, gender = "F"): string {
  return `0,'${customer}','3','${gender}','28007','${merchant}','28007','es_food',${amount},0`;
}

/** What a detector records when it starts with `config` on another node (it starts and stops at once). */
export async function restartDetector(config: ResolvedConfig): Promise<void> {
  const other = new ServiceBroker({ nodeID: "detector-2", transporter: null, logger: false });
  const rt = new Runtime(config, quietLog);
  other.createService(SERVICE_FACTORIES.detector(rt));
  await other.start();
  await other.stop();
  await rt.close();
}
