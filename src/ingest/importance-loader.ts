import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { DataSource } from "typeorm";
import { readMeanWeights } from "../csv/importance";
import type { Log } from "../log";
import { ObjectStore, parseS3Url } from "../storage/object-store";
import { importanceInForce, storeImportance } from "../storage/weights-store";

/**
 * Puts CustomerImportance.csv in force in customer_weights, loading it only
 * when no load of the same content is in force: a restart, another ingest
 * copy or the same bytes under another path reuse the weights; a changed file
 * loads (any ingest copy may race; one wins).
 */
export async function ensureImportance(ds: DataSource, store: ObjectStore, location: string, partitions: number, log: Log): Promise<void> {
  const s3 = parseS3Url(location);
  const source = s3 ? location : path.resolve(location);
  const open = async (): Promise<Readable> => (s3 ? new ObjectStore(store.client, s3.bucket).read(s3.key) : createReadStream(source));
  const started = Date.now();
  const sha256 = await sha256Of(await open());
  if ((await importanceInForce(ds)) === sha256) {
    log.info("customer importance already loaded", { source, sha256, ms: Date.now() - started });
    return;
  }
  const loaded = await storeImportance(ds, sha256, source, partitions, async () => readMeanWeights(await open()));
  if (loaded) log.info("loaded customer importance", { source, ...loaded, ms: Date.now() - started });
}

async function sha256Of(input: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of input) hash.update(piece as Buffer);
  return hash.digest("hex");
}
