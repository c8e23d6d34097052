import { Errors, type ServiceBroker } from "moleculer";
import type { ApplyRequest, ApplyResult } from "../src/ingest/apply-request";
import type { Log } from "../src/log";
import { STATE_SERVICES, stateServiceOf, type StateService } from "../src/partitioning";
import { backoffDelay, describeError, sleep } from "../src/retry";
import { nodesRunning, statePartitionAssignments } from "./cluster";
import { registryChange } from "./service-availability";

/**
 * First wait for an apply's answer. A request or answer lost with a NATS
 * restart would otherwise hold the stream for the whole request timeout; a
 * resend is safe (a partition already at the chunk skips it) and queues behind
 * a slow original on the same node. After a timeout the next attempt waits twice as long.
 */
const APPLY_TIMEOUT_MS = 5000;
const MAX_APPLY_TIMEOUT_MS = 30_000;
/** Pause after a failed round, doubling up to this: a dead node is noticed within a quarter second, NATS reconnects within one. */
const MAX_RETRY_PAUSE_MS = 1000;

/**
 * Sends a chunk to the partition-state nodes: one call per node and service
 * (merchant-state for partitions 0 … P−1, customer-state for P … 2P−1) with
 * all the partitions assigned to it, and again for whatever a failed call
 * left, after recomputing the assignment, until every partition has
 * acknowledged. Fencing makes a resend to a different node safe, and one to
 * the same node a no-op.
 */
export async function dispatchChunk(
  broker: ServiceBroker,
  request: ApplyRequest,
  partitions: number,
  log: Log,
  isRunning: () => boolean,
  /** The chunk before, still in flight: the first failed round waits for it, then retries without a pause. */
  previous?: Promise<unknown>,
): Promise<{ detections: number }> {
  const pending = new Map(request.partitions.map((p) => [p.partition, p]));
  let detections = 0;
  let timeout = APPLY_TIMEOUT_MS;
  let failedRounds = 0;
  for (let attempt = 1; pending.size > 0; attempt++) {
    if (!isRunning()) throw new Error(`stopped while applying chunk ${request.seq}`);
    const absent = STATE_SERVICES.filter((service) => nodesRunning(broker, service).length === 0);
    if (absent.length > 0) {
      if (attempt === 1 || attempt % 20 === 0) log.warn(`no ${absent.join(" or ")} node available; waiting`, { seq: request.seq });
      await registryChange(broker, 500);
      continue;
    }
    const assignments = statePartitionAssignments(broker, partitions);
    const byTarget = new Map<string, { service: StateService; nodeID: string; parts: ApplyRequest["partitions"][number][] }>();
    for (const [p, part] of pending) {
      const service = stateServiceOf(p, partitions);
      const nodeID = assignments.get(p)!;
      const key = `${service}@${nodeID}`;
      let target = byTarget.get(key);
      if (!target) byTarget.set(key, (target = { service, nodeID, parts: [] }));
      target.parts.push(part);
    }
    const calls = [...byTarget.values()].map(async ({ service, nodeID, parts }) => {
      const result: ApplyResult = await broker.call(`${service}.apply`, { ...request, partitions: parts }, { nodeID, retries: 0, timeout });
      for (const p of [...result.applied, ...result.skipped]) pending.delete(p);
      detections += result.detections;
    });
    const failures = (await Promise.allSettled(calls)).filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) {
      log.warn("applying a chunk failed on some nodes; retrying", {
        seq: request.seq,
        partitionsLeft: pending.size,
        error: describeError(failures[0].reason),
      });
      if (failures.some((f) => f.reason instanceof Errors.RequestTimeoutError)) timeout = Math.min(timeout * 2, MAX_APPLY_TIMEOUT_MS);
      // A partition still waiting for the chunk before refuses this one: pausing would make the next chunk wait in turn.
      if (previous) {
        await previous.catch(() => undefined);
        previous = undefined;
      } else await sleep(backoffDelay(++failedRounds, 100, MAX_RETRY_PAUSE_MS));
    }
  }
  return { detections };
}
