import { Readable } from "node:stream";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { S3Settings } from "../config";

export const CHUNK_PREFIX = "transaction-chunks/";
export const DETECTION_PREFIX = "detections/";
export const QUARANTINE_PREFIX = "quarantine/";

/** `s3://bucket/key` → its parts; undefined for anything else. */
export function parseS3Url(url: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

export function createS3Client(s: S3Settings & { endpoint: string }): S3Client {
  return new S3Client({
    endpoint: s.endpoint,
    region: s.region,
    forcePathStyle: true,
    // S3-compatible servers reject the checksums recent SDKs add by default.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    credentials: s.accessKeyId && s.secretAccessKey ? { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } : undefined,
  });
}

/** The few bucket operations the pipeline uses. */
export class ObjectStore {
  constructor(
    readonly client: S3Client,
    readonly bucket: string,
  ) {}

  /** Throws a clear error when the bucket does not exist or cannot be reached. */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) throw new BucketMissingError(`bucket "${this.bucket}" does not exist`);
      throw err;
    }
  }

  async createBucketIfMissing(): Promise<void> {
    try {
      await this.checkBucket();
    } catch (err) {
      if (!(err instanceof BucketMissingError)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  /** Every key under the prefix (only those after `startAfter`, when given), in key order. */
  async listKeys(prefix: string, startAfter?: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token, StartAfter: token ? undefined : startAfter }),
      );
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith("/")) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  /** The object's bytes from fromByte up to toByte (exclusive; to the end when omitted). */
  async read(key: string, fromByte = 0, toByte?: number): Promise<Readable> {
    const range = toByte !== undefined ? `bytes=${fromByte}-${toByte - 1}` : fromByte > 0 ? `bytes=${fromByte}-` : undefined;
    const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
    if (!out.Body) throw new Error(`s3://${this.bucket}/${key} has no body`);
    return out.Body as Readable;
  }

  async size(key: string): Promise<number> {
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    return head.ContentLength ?? 0;
  }

  async readText(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of await this.read(key)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async write(key: string, body: string | Buffer, contentType = "text/csv"): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /** Uploads a stream of exactly `bytes` bytes without holding it in memory. */
  async writeStream(key: string, body: Readable, bytes: number, contentType = "text/csv"): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: bytes, ContentType: contentType }));
  }
}

export class BucketMissingError extends Error {
  override name = "BucketMissingError";
}
