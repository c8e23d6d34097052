import type { ServiceSchema } from "moleculer";
import { WorkLoop } from "../src/app/loop";
import type { Runtime } from "../src/app/runtime";
import { ensureImportance } from "../src/ingest/importance-loader";
import { Ingest } from "../src/ingest/ingest";
import { ChunkLedger } from "../src/storage/chunk-ledger";
import { LeaderLock } from "../src/storage/leader-lock";
import { INGEST_LEADER_LOCK } from "../src/storage/lock-keys";
import { weightsVersion } from "../src/storage/weights-store";
import { dispatchChunk } from "./partition-router";

/** Mechanism Y: one active copy (advisory lock) applies every chunk to every partition, in order. */
export function ingestService(rt: Runtime): ServiceSchema {
  let loop: WorkLoop | undefined;
  let leader: LeaderLock | undefined;
  let ledger: ChunkLedger | undefined;
  let running = false;
  let lastDiscovery = 0;
  let landed = false;

  return {
    name: "ingest",
    dependencies: ["merchant-state"],
    events: {
      // The chunker says when it wrote a chunk, so an idle ingest need not wait for its next poll.
      "chunk.landed": {
        handler: () => {
          landed = true;
          loop?.wake();
        },
      },
    },
    actions: {
      status: {
        async handler() {
          return { leader: leader?.held ?? false, failure: loop?.failure ?? null, ...(await ledger!.summary()) };
        },
      },
    },
    async started() {
      const ds = await rt.db();
      const { partitions, maxRecordBytes, pollIntervalMs, importance } = rt.config;
      const log = this.logger;
      ledger = new ChunkLedger(ds);
      leader = new LeaderLock(ds, INGEST_LEADER_LOCK);
      running = true;
      const ingest = new Ingest(ledger, rt.store, partitions, maxRecordBytes, (req) => dispatchChunk(this.broker, req, partitions, log, () => running), () => weightsVersion(ds), log);
      let importanceReady = importance === undefined;
      if (!importanceReady) log.info("importance source", { importance });
      else log.warn("no --importance given: no customer has a weight, so UPGRADE cannot fire");
      loop = new WorkLoop("ingest", async () => {
        if (!(await leader!.hold())) return 2000;
        if (!importanceReady) {
          await ensureImportance(ds, rt.store, importance!, partitions, log);
          importanceReady = true;
        }
        if (Date.now() - lastDiscovery >= pollIntervalMs) {
          lastDiscovery = Date.now();
          await ingest.discover();
        }
        if (await ingest.processNext()) return 0;
        if (!landed) return pollIntervalMs;
        // Idle, and a chunk landed: list at once. While busy, listing stays at one per poll interval.
        landed = false;
        lastDiscovery = 0;
        return 0;
      }, log);
      loop.start();
    },
    async stopped() {
      running = false;
      await loop?.stop();
      await leader?.release();
    },
  };
}
