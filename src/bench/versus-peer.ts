import path from "node:path";
import type { S3Settings } from "../config";
import type { PatternThresholds } from "../patterns";
import { createBucket, freshDatabase, pipelineDetectionKeys, timeStartOnce } from "./end-to-end";
import { peerDetections, runPeer, type PeerRun } from "./peer";

export interface VersusPeer {
  /** `start.js --once`, spawn to exit. */
  readonly oursSeconds: number;
  readonly peer: PeerRun;
  /** Detections (pattern, customer, merchant) found by one side only. */
  readonly onlyOurs: string[];
  readonly onlyPeer: string[];
}

export interface VersusPeerSetup {
  readonly startScript: string;
  /** The environment of the bench's children (S3 and PostgreSQL of the bench, thresholds). */
  readonly env: Record<string, string>;
  readonly postgresUrl: string;
  readonly s3: S3Settings & { endpoint: string };
  readonly source: string;
  readonly importance: string;
  readonly chunkRows: number;
  readonly thresholds: PatternThresholds;
  /** A folder of its own for the run's DATA_DIR and log. */
  readonly work: string;
}

/**
 * The end-to-end comparison on one machine: `start.js --once` on a fresh
 * database and bucket, then the plain-PostgreSQL peer on another fresh
 * database of the same server, and whether both found the same detections.
 */
export async function runVersusPeer(setup: VersusPeerSetup): Promise<VersusPeer> {
  const bucket = "bench-once";
  await createBucket(setup.s3, bucket);
  const oursUrl = await freshDatabase(setup.postgresUrl, "bench_once");
  const oursSeconds = await timeStartOnce(
    setup.startScript,
    ["--source", setup.source, "--importance", setup.importance],
    { ...setup.env, DATABASE_URL: oursUrl, S3_BUCKET: bucket, DATA_DIR: path.join(setup.work, "once-data") },
    path.join(setup.work, "once.log"),
  );
  const peerUrl = await freshDatabase(setup.postgresUrl, "bench_peer");
  const peer = await runPeer({
    databaseUrl: peerUrl,
    source: setup.source,
    importance: setup.importance,
    chunkRows: setup.chunkRows,
    thresholds: setup.thresholds,
  });
  const oursKeys = await pipelineDetectionKeys(oursUrl);
  const peerKeys = new Set((await peerDetections(peerUrl)).map((d) => `${d.patternId}|${d.customer}|${d.merchant}`));
  return {
    oursSeconds,
    peer,
    onlyOurs: [...oursKeys].filter((k) => !peerKeys.has(k)),
    onlyPeer: [...peerKeys].filter((k) => !oursKeys.has(k)),
  };
}
