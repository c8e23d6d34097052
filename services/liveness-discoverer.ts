import { Discoverers } from "moleculer";
import type { DataSource } from "typeorm";
import { describeError } from "../src/retry";
import { LivenessLock, livenessKey } from "../src/storage/liveness-lock";

const CHECK_EVERY_MS = 250;

/**
 * Moleculer's local discoverer (heartbeats over the transporter), plus a
 * faster death notice: every node holds a liveness lock in PostgreSQL, and a
 * peer whose lock vanishes is disconnected here within CHECK_EVERY_MS instead
 * of after the heartbeat timeout. Disconnecting it is what a heartbeat timeout
 * does too: its services leave the registry, calls waiting on it fail, and
 * merchant-state rebalances.
 *
 * A peer counts only after it was seen holding its lock, so a node that is
 * still starting is not mistaken for a dead one; and when our own session was
 * lost (a database restart drops every lock at once) we judge nobody until the
 * peers are seen again.
 */
export class LivenessDiscoverer extends Discoverers.Local {
  private timer: NodeJS.Timeout | undefined;
  private lock: LivenessLock | undefined;
  private session: number | undefined;
  private readonly seen = new Set<string>();
  private checking = false;
  private lastProblem = "";

  constructor(private readonly database: () => Promise<DataSource>) {
    super();
  }

  override startHeartbeatTimers(): void {
    super.startHeartbeatTimers();
    this.timer ??= setInterval(() => void this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  override stopHeartbeatTimers(): void {
    super.stopHeartbeatTimers();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.lock?.release();
  }

  private async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      this.lock ??= new LivenessLock(await this.database(), this.broker.nodeID);
      const reading = await this.lock.read();
      if (!reading) return this.problem(`another live process holds node id '${this.broker.nodeID}'; is NODE_ID duplicated?`);
      if (reading.session !== this.session) {
        this.session = reading.session;
        this.seen.clear();
      }
      for (const node of this.registry.nodes.toArray()) {
        if (node.local || !node.available) continue;
        if (reading.live.has(livenessKey(node.id))) this.seen.add(node.id);
        else if (this.seen.delete(node.id)) {
          this.logger.warn(`Node '${node.id}' lost its database session: treating it as gone.`);
          this.registry.nodes.disconnected(node.id, true);
        }
      }
      this.lastProblem = "";
    } catch (err) {
      this.problem(`liveness check failed (${describeError(err)}); relying on heartbeats`);
    } finally {
      this.checking = false;
    }
  }

  /** Logs a problem once, not four times a second. */
  private problem(message: string): void {
    if (message !== this.lastProblem) this.logger.warn(message);
    this.lastProblem = message;
  }
}
