import type { ServiceBroker, ServiceSchema } from "moleculer";
import type { Runtime } from "../src/app/runtime";
import { CHUNKS_APPLIED, CHUNKS_FAILED, ROWS_APPLIED, ROWS_QUARANTINED } from "../src/metrics/catalogue";
import { ensureImportance } from "../src/ingest/importance-loader";
import { Ingest, type ChunkOutcome, type Dispatch } from "../src/ingest/ingest";
import { IngestLoop } from "../src/ingest/ingest-loop";
import { ChunkLedger } from "../src/storage/chunk-ledger";
import { LeaderLock } from "../src/storage/leader-lock";
import { INGEST_LEADER_LOCK } from "../src/storage/lock-keys";
import { weightsVersion } from "../src/storage/weights-store";
import { WorkLoopMixin } from "./mixins/work-loop.mixin";
import { registerMetrics } from "./node-metrics";
import { dispatchChunk } from "./partition-router";

/** Mechanism Y: one active copy (advisory lock) applies every chunk to every partition, in order. */
export function ingestService(rt: Runtime): ServiceSchema {
  let ledger: ChunkLedger | undefined;
  const worker = new WorkLoopMixin("ingest", async (service, stopping) => {
    const ds = await rt.db();
    const { partitions, maxRecordBytes, pollIntervalMs, importance } = rt.config;
    const log = service.logger;
    ledger = new ChunkLedger(ds);
    const dispatch: Dispatch = (req, previous) => dispatchChunk(service.broker, req, partitions, log, () => !stopping.aborted, previous);
    const ingest = new Ingest(ledger, rt.store, partitions, maxRecordBytes, dispatch, () => weightsVersion(ds), log);
    if (importance !== undefined) log.info("importance source", { importance });
    else log.warn("no --importance given: no customer has a weight, so UPGRADE cannot fire");
    const loadImportance = importance === undefined ? undefined : () => ensureImportance(ds, rt.store, importance, partitions, log);
    return new IngestLoop(new LeaderLock(ds, INGEST_LEADER_LOCK), ingest, pollIntervalMs, loadImportance, (outcome) => {
      countOutcome(service.broker, outcome);
      void service.broker.emit("chunk.processed", { seq: outcome.seq, key: outcome.key, status: outcome.status });
    });
  });

  return {
    name: "ingest",
    dependencies: ["merchant-state", "customer-state"],
    mixins: [worker.schema],
    created() {
      registerMetrics(this.broker, OUTCOME_METRICS);
      for (const metric of OUTCOME_METRICS) this.broker.metrics.increment(metric.name, {}, 0);
    },
    events: {
      // The chunker says when it wrote a chunk, so an idle ingest need not wait for its next poll.
      "chunk.landed": {
        handler: () => {
          worker.policy?.chunkLanded();
          worker.wake();
        },
      },
    },
    actions: {
      status: {
        async handler() {
          return { leader: worker.policy?.leading ?? false, failure: worker.failure, ...(await ledger!.summary()) };
        },
      },
    },
  };
}

const OUTCOME_METRICS = [CHUNKS_APPLIED, CHUNKS_FAILED, ROWS_APPLIED, ROWS_QUARANTINED];

function countOutcome(broker: ServiceBroker, outcome: ChunkOutcome): void {
  broker.metrics.increment((outcome.status === "applied" ? CHUNKS_APPLIED : CHUNKS_FAILED).name);
  broker.metrics.increment(ROWS_APPLIED.name, {}, outcome.valid);
  broker.metrics.increment(ROWS_QUARANTINED.name, {}, outcome.bad);
}
