import { spawn } from "node:child_process";
import { once } from "node:events";
import { closeSync, openSync } from "node:fs";
import { Client } from "pg";
import { NODE_FLAGS } from "../app/node-flags";
import { parseProbability, quantileAt } from "../quantile";
import { sleep } from "../retry";
import { CHUNK_PREFIX } from "../storage/object-store";

export interface CadenceSetup {
  readonly startScript: string;
  /** The pipeline's environment: a fresh DATABASE_URL and S3_BUCKET of its own. */
  readonly env: Record<string, string>;
  readonly databaseUrl: string;
  readonly args: readonly string[];
  /** Subscribes to the S3 server's object-created notifications. */
  readonly onObjectCreated: (listener: (key: string) => void) => void;
  /** Chunks to time: those landing once the pipeline has caught up with every chunk landed before (until then it was starting, then working off the backlog of chunks that landed while it loaded the importance data). */
  readonly chunks: number;
  /** How many chunks the source makes: the run ends there if fewer could be timed. */
  readonly sourceChunks: number;
  readonly logFile: string;
}

export interface CadenceLatency {
  /** Chunks timed: those with at least one detection. */
  readonly chunks: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** How often the database is asked which chunks are done: the resolution of the figures. */
const POLL_MS = 5;

/**
 * Runs the pipeline at the seeds' cadence (one chunk a second) and times, for
 * every chunk with detections, from its object landing in S3 to all of its
 * detections being in PostgreSQL (chunk applied and every outbox row of it
 * written by db-sink). Undefined when no timed chunk had a detection.
 */
export async function measureCadenceLatency(setup: CadenceSetup): Promise<CadenceLatency | undefined> {
  const landedAt = new Map<string, number>();
  setup.onObjectCreated((key) => {
    if (key.startsWith(CHUNK_PREFIX)) landedAt.set(key, performance.now());
  });
  const log = openSync(setup.logFile, "a");
  const child = spawn(process.execPath, [...NODE_FLAGS, setup.startScript, "--chunk-interval-ms", "1000", ...setup.args], {
    env: setup.env,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const exited = once(child, "exit");
  const db = new Client({ connectionString: setup.databaseUrl });
  const latencies: number[] = [];
  const done = new Set<number>();
  let doneThrough = 0;
  let caughtUpAt: number | undefined;
  let timed = 0;
  try {
    await connectWhenReady(db, () => child.exitCode);
    while (timed < setup.chunks && done.size < setup.sourceChunks) {
      if (child.exitCode !== null) throw new Error(`the pipeline exited with ${child.exitCode}; its log: ${setup.logFile}`);
      // Only chunks past those all done, so that each poll costs what is new, not the whole run so far.
      const { rows } = await db.query<{ seq: string; key: string; detections: number }>(
        `SELECT c.seq, c.key, count(o.id)::int AS detections
         FROM chunks c LEFT JOIN detection_outbox o ON o.chunk_seq = c.seq
         WHERE c.status = 'applied' AND c.seq > $1
         GROUP BY c.seq, c.key HAVING bool_and(o.db_done) OR count(o.id) = 0`,
        [doneThrough],
      );
      const now = performance.now();
      for (const { seq, key, detections } of rows) {
        if (done.has(Number(seq))) continue;
        done.add(Number(seq));
        const landed = landedAt.get(key);
        if (caughtUpAt === undefined || landed === undefined || landed <= caughtUpAt) continue;
        timed++;
        if (detections > 0) latencies.push(now - landed);
      }
      if (caughtUpAt === undefined && done.size > 0 && done.size >= landedAt.size) caughtUpAt = now;
      while (done.has(doneThrough + 1)) doneThrough++;
      await sleep(POLL_MS);
    }
  } finally {
    await db.end().catch(() => undefined);
    child.kill("SIGTERM");
    await exited;
  }
  latencies.sort((a, b) => a - b);
  const at = (i: number) => latencies[i];
  if (latencies.length === 0) return undefined;
  return {
    chunks: latencies.length,
    p50Ms: quantileAt(latencies.length, at, parseProbability("0.5", "p50")),
    p99Ms: quantileAt(latencies.length, at, parseProbability("0.99", "p99")),
  };
}

/** Connects once the pipeline has created its schema (the chunks table). */
async function connectWhenReady(db: Client, exitCode: () => number | null): Promise<void> {
  await db.connect();
  for (;;) {
    const code = exitCode();
    if (code !== null) throw new Error(`the pipeline exited with ${code} while starting`);
    const { rows } = await db.query<{ ready: boolean }>(`SELECT to_regclass('detection_outbox') IS NOT NULL AS ready`);
    if (rows[0].ready) return;
    await sleep(50);
  }
}
