import { createReadStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { DataSource } from "typeorm";
import { readPairWeights } from "../csv/importance";
import type { Log } from "../log";
import { ObjectStore, parseS3Url } from "../storage/object-store";
import { importanceLoaded, storeWeights } from "../storage/weights-store";

/** Loads CustomerImportance.csv into customer_weights once per source (any ingest copy may race; one wins). */
export async function ensureImportance(ds: DataSource, store: ObjectStore, location: string, partitions: number, log: Log): Promise<void> {
  const s3 = parseS3Url(location);
  const source = s3 ? location : path.resolve(location);
  if (await importanceLoaded(ds, source)) return;
  const started = Date.now();
  let input: Readable;
  if (s3) input = await new ObjectStore(store.client, s3.bucket).read(s3.key);
  else input = createReadStream(source);
  const summary = await readPairWeights(input);
  if (await storeWeights(ds, source, summary, partitions)) {
    log.info("loaded customer importance", { source, rows: summary.rows, pairs: summary.weights.length, skipped: summary.skipped, ms: Date.now() - started });
  }
}
