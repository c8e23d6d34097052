import { createReadStream } from "node:fs";
import path from "node:path";
import type { DataSource } from "typeorm";
import { readImportance } from "../csv/importance";
import type { Log } from "../log";
import { ObjectStore, parseS3Url } from "../storage/object-store";
import { importanceLoaded, storeImportanceSource } from "../storage/weights-store";

const BATCH = 10_000;

/** Loads CustomerImportance.csv into customer_weights once per source (any ingest copy may race; one wins). */
export async function ensureImportance(ds: DataSource, store: ObjectStore, location: string, partitions: number, log: Log): Promise<void> {
  const s3 = parseS3Url(location);
  const source = s3 ? location : path.resolve(location);
  if (await importanceLoaded(ds, source)) return;
  const started = Date.now();
  const loaded = await storeImportanceSource(ds, source, partitions, async (addRows) => {
    const input = s3 ? await new ObjectStore(store.client, s3.bucket).read(s3.key) : createReadStream(source);
    return readImportance(input, BATCH, addRows);
  });
  if (loaded) log.info("loaded customer importance", { source, ...loaded, ms: Date.now() - started });
}
