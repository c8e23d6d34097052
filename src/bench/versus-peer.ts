import { chunkIndexOf } from "../chunker/chunker";
import path from "node:path";
import { Client } from "pg";
import type { S3Settings } from "../config";
import type { PatternThresholds } from "../patterns";
import { readBlacklist } from "../patterns/blacklist";
import { createBucket, freshDatabase, timeStartOnce } from "./end-to-end";
import { peerDetections, runPeer, type PeerDetection, type PeerRun } from "./peer";

export interface VersusPeer {
  /** `start.js --once`, spawn to exit. */
  readonly oursSeconds: number;
  readonly peer: PeerRun;
  /** Detections found by one side only, as `detectionKey` writes them. */
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
  /** Both sides get these; the peer also gets the blacklist `env` gives the pipeline (BLACKLIST), if any. */
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
    thresholds: await withPipelineBlacklist(setup),
  });
  const oursKeys = new Set((await pipelineDetections(oursUrl)).map(detectionKey));
  const peerKeys = new Set((await peerDetections(peerUrl)).map(detectionKey));
  return {
    oursSeconds,
    peer,
    onlyOurs: [...oursKeys].filter((k) => !peerKeys.has(k)),
    onlyPeer: [...peerKeys].filter((k) => !oursKeys.has(k)),
  };
}

/** The thresholds with the blacklist that `start.js` reads from BLACKLIST, when the bench's environment names one. */
async function withPipelineBlacklist(setup: VersusPeerSetup): Promise<PatternThresholds> {
  const location = setup.env.BLACKLIST;
  if (!location) return setup.thresholds;
  const entries = await readBlacklist(location, setup.s3);
  return { ...setup.thresholds, blacklist: [...entries].map(([id, reason]) => ({ id, reason })) };
}

type Keyed = Pick<PeerDetection, "patternId" | "customer" | "merchant" | "chunkIndex" | "line">;

/**
 * PatId1–3: `pattern|customer|merchant` (emitted once each); PatId4–6 (line
 * defined): `pattern|customer|merchant|chunk index|line`, one per row.
 */
export function detectionKey(d: Keyed): string {
  const key = `${d.patternId}|${d.customer}|${d.merchant}`;
  return d.line === undefined || d.line === null ? key : `${key}|${d.chunkIndex}|${d.line}`;
}

/** The pipeline's detections; a chunk key's index is its number, `…/chunk-00000007.csv` (one source, as `--once` runs). */
async function pipelineDetections(databaseUrl: string): Promise<Keyed[]> {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{ patternid: string; customer: string; merchant: string; chunk: string; line: number | null }>(
      `SELECT patternid, customer, merchant, chunk, line FROM pattern_detections`,
    );
    return rows.map((r) => ({
      patternId: r.patternid,
      customer: r.customer,
      merchant: r.merchant,
      chunkIndex: chunkIndexOf(r.chunk),
      line: r.line ?? undefined,
    }));
  } finally {
    await db.end();
  }
}
