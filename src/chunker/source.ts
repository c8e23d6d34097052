import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ObjectStore, parseS3Url } from "../storage/object-store";

/** A growing or fixed byte source the chunker can seek in. */
export interface ByteSource {
  /** Stable name: the key of the chunker's progress, and part of its chunk keys. */
  readonly id: string;
  size(): Promise<number>;
  /** The bytes from fromByte up to toByte (exclusive; to the end when omitted). */
  open(fromByte: number, toByte?: number): Promise<Readable>;
}

export function fileSource(file: string): ByteSource {
  const absolute = path.resolve(file);
  return {
    id: absolute,
    size: async () => (await stat(absolute)).size,
    open: async (fromByte, toByte) =>
      createReadStream(absolute, { start: fromByte, end: toByte === undefined ? undefined : toByte - 1, highWaterMark: 256 * 1024 }),
  };
}

export function s3Source(store: ObjectStore, key: string): ByteSource {
  return {
    id: `s3://${store.bucket}/${key}`,
    size: () => store.size(key),
    open: (fromByte, toByte) => store.read(key, fromByte, toByte),
  };
}

/** `PATH` or `s3://bucket/key`; an S3 source in another bucket gets a store of its own. */
export function openSource(location: string, store: ObjectStore): ByteSource {
  const s3 = parseS3Url(location);
  if (!s3) return fileSource(location);
  return s3Source(s3.bucket === store.bucket ? store : new ObjectStore(store.client, s3.bucket), s3.key);
}

/** The folder a source's chunks go to: readable, and distinct per source. */
export function chunkFolder(source: ByteSource): string {
  const base =
    path
      .basename(source.id)
      .replace(/\.[^.]*$/, "")
      .replace(/[^A-Za-z0-9_-]+/g, "_")
      .slice(0, 40) || "source";
  const tag = createHash("sha256").update(source.id).digest("hex").slice(0, 6);
  return `${base}-${tag}`;
}
