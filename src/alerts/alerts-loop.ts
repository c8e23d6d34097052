import type { Log } from "../log";
import { backoffDelay, describeError } from "../retry";
import {
  dueDeliveries,
  fanOutDetections,
  fanOutEvents,
  lastSentAt,
  markAttemptFailed,
  markDelivered,
  markSent,
  msUntilNextDue,
  recordFailedChunks,
  recordQuarantineRates,
  recordStuckSinks,
  type DueDelivery,
} from "../storage/alert-deliveries";
import { DETECTIONS_PER_FILE } from "../sinks/s3-detection-writer";
import type { LeaderLock } from "../storage/leader-lock";
import type { SqlRunner } from "../storage/sql";
import { STANDBY_RETRY_MS, type LoopPolicy } from "../work-loop";
import { EMAIL_CHANNEL, PIPELINE_SOURCE, type AlertSettings, type WebhookChannel } from "./alert-settings";
import { digestMail, type EmailMessage } from "./email-digest";
import { postAlert } from "./webhook-sender";

/** Detections fanned out per statement. */
const FAN_OUT_BATCH = 1000;
/** Due webhook deliveries taken per channel and step. */
const WEBHOOK_BATCH = 200;
/** Webhook requests in flight at once per channel. */
const WEBHOOK_CONCURRENCY = 8;
/** Deliveries one digest mail takes at most; more wait for the next mail. */
const EMAIL_BATCH = 50_000;
const IDLE_MS = 1000;
const WATCH_EVERY_MS = 1000;
const NO_CHANNEL_IDLE_MS = 5000;

/** Sends one mail; EmailSender does it over SMTP. */
export interface MailTransport {
  send(message: EmailMessage): Promise<void>;
  close(): void;
}

/** Sends one alert to one webhook; postAlert does it over HTTP. */
export type WebhookPost = (channel: WebhookChannel, delivery: DueDelivery) => Promise<void>;

/**
 * The alerts service's loop, while it holds the leader lock: fan new
 * detections and pipeline events out into deliveries (one per routed
 * channel), then send what is due. A failed delivery is retried with
 * exponential backoff (state in `alert_deliveries`, so restarts keep it) and
 * dead-lettered after the last attempt. A webhook whose whole wave of requests
 * fails is paused as a whole (same backoff), so a dead receiver costs one
 * wave, not the backlog. Email sends at most one digest per interval.
 */
export class AlertsLoop implements LoopPolicy {
  private readonly detectionRoutes: ReadonlyArray<{ source: string; channel: string }>;
  private readonly pipelineChannels: readonly string[];
  /** Webhooks paused after a wave failed entirely: until when, and how many waves in a row. */
  private readonly paused = new Map<string, { until: number; streak: number }>();
  /** When the ledger and the sinks were last looked at for pipeline problems. */
  private watchedAt = 0;

  constructor(
    private readonly leader: LeaderLock,
    private readonly db: SqlRunner,
    private readonly settings: AlertSettings,
    private readonly mail: MailTransport | undefined,
    private readonly log: Log,
    /** Told how many deliveries of a channel were sent or failed an attempt (for the metrics). */
    private readonly attempted: (channel: string, outcome: "delivered" | "failed", count: number) => void = () => undefined,
    private readonly post: WebhookPost = (channel, delivery) => postAlert(channel, settings.webhookSecret ?? "", delivery.alert, settings.webhookTimeoutMs),
  ) {
    this.detectionRoutes = settings.routes.filter((r) => r.source !== PIPELINE_SOURCE);
    this.pipelineChannels = settings.routes.filter((r) => r.source === PIPELINE_SOURCE).map((r) => r.channel);
  }

  get leading(): boolean {
    return this.leader.held;
  }

  async step(): Promise<number> {
    if (!(await this.leader.hold())) return STANDBY_RETRY_MS;
    // Without channels this only marks detections and events as seen, so that adding a channel later does not send history.
    let work = (await fanOutDetections(this.db, this.detectionRoutes, FAN_OUT_BATCH)) > 0;
    // The ledger and the sinks are looked at once a second at most, not on every detection committed.
    if (Date.now() - this.watchedAt >= WATCH_EVERY_MS) {
      this.watchedAt = Date.now();
      await recordFailedChunks(this.db);
      await recordQuarantineRates(this.db, this.settings.quarantineRate);
      await recordStuckSinks(this.db, this.settings.sinkStuckMs, DETECTIONS_PER_FILE);
    }
    work = (await fanOutEvents(this.db, this.pipelineChannels, FAN_OUT_BATCH)) > 0 || work;
    if (this.settings.routes.length === 0) return work ? 0 : NO_CHANNEL_IDLE_MS;
    for (const channel of this.settings.webhooks) work = (await this.sendWebhooks(channel)) || work;
    work = (await this.sendDigest()) || work;
    return work ? 0 : this.idleDelay();
  }

  close(): Promise<void> {
    this.mail?.close();
    return this.leader.release();
  }

  /** The wait before the next due delivery of a channel that is not paused, at most IDLE_MS. */
  private async idleDelay(): Promise<number> {
    const now = Date.now();
    const ready = this.settings.webhooks.map((w) => w.name).filter((name) => (this.paused.get(name)?.until ?? 0) <= now);
    const waits = [IDLE_MS, ...[...this.paused.values()].map((p) => p.until - now).filter((ms) => ms > 0)];
    const next = ready.length > 0 ? await msUntilNextDue(this.db, ready) : null;
    if (next !== null) waits.push(next);
    if (this.mail) {
      const due = await msUntilNextDue(this.db, [EMAIL_CHANNEL]);
      if (due !== null) waits.push(Math.max(due, ((await this.nextMailAt()) ?? 0) - now));
    }
    return Math.max(10, Math.min(...waits));
  }

  /** Sends the channel's due deliveries, WEBHOOK_CONCURRENCY at a time; true if it tried any. */
  private async sendWebhooks(channel: WebhookChannel): Promise<boolean> {
    const pause = this.paused.get(channel.name);
    if (pause && pause.until > Date.now()) return false;
    const due = await dueDeliveries(this.db, channel.name, WEBHOOK_BATCH);
    for (let i = 0; i < due.length; i += WEBHOOK_CONCURRENCY) {
      const wave = due.slice(i, i + WEBHOOK_CONCURRENCY);
      const outcomes = await Promise.allSettled(wave.map((d) => this.post(channel, d)));
      const delivered = wave.filter((_, j) => outcomes[j].status === "fulfilled");
      if (delivered.length > 0) {
        await markDelivered(
          this.db,
          delivered.map((d) => d.id),
        );
        this.attempted(channel.name, "delivered", delivered.length);
      }
      for (const [j, outcome] of outcomes.entries()) {
        if (outcome.status === "rejected") await this.attemptFailed([wave[j]], describeError(outcome.reason));
      }
      if (delivered.length === 0) {
        const streak = (this.paused.get(channel.name)?.streak ?? 0) + 1;
        const waitMs = backoffDelay(streak - 1, this.settings.retryBaseMs, this.settings.retryMaxMs);
        this.paused.set(channel.name, { until: Date.now() + waitMs, streak });
        if (streak === 1) {
          const reason = outcomes[0].status === "rejected" ? describeError(outcomes[0].reason) : "";
          this.log.warn("webhook failing; pausing it", { channel: channel.name, error: reason, retryInMs: waitMs });
        }
        return true;
      }
      if (this.paused.delete(channel.name)) this.log.info("webhook delivering again", { channel: channel.name });
    }
    return due.length > 0;
  }

  /** When the email channel may send next (its last mail plus the interval); undefined: now. */
  private async nextMailAt(): Promise<number | undefined> {
    if (!this.mail || !this.settings.email) return undefined;
    const last = await lastSentAt(this.db, EMAIL_CHANNEL);
    return last === undefined ? undefined : last.getTime() + this.settings.email.minIntervalMs;
  }

  /** Everything due on the email channel as one mail, if the interval since the last one has passed; true if it tried. */
  private async sendDigest(): Promise<boolean> {
    const email = this.settings.email;
    if (!this.mail || !email) return false;
    const mailAt = await this.nextMailAt();
    if (mailAt !== undefined && mailAt > Date.now()) return false;
    const due = await dueDeliveries(this.db, EMAIL_CHANNEL, EMAIL_BATCH);
    if (due.length === 0) return false;
    try {
      await this.mail.send(
        digestMail(
          due.map((d) => d.alert),
          email.digestMax,
        ),
      );
    } catch (err) {
      this.log.warn("alert email failed", { alerts: due.length, error: describeError(err) });
      await this.attemptFailed(due, describeError(err));
      return true;
    }
    await markDelivered(
      this.db,
      due.map((d) => d.id),
    );
    await markSent(this.db, EMAIL_CHANNEL);
    this.attempted(EMAIL_CHANNEL, "delivered", due.length);
    return true;
  }

  /** Schedules the next attempt of each delivery, or dead-letters it after the last one. */
  private async attemptFailed(deliveries: readonly DueDelivery[], error: string): Promise<void> {
    const { maxAttempts, retryBaseMs, retryMaxMs } = this.settings;
    const byAttempts = new Map<number, DueDelivery[]>();
    for (const d of deliveries) byAttempts.set(d.attempts, [...(byAttempts.get(d.attempts) ?? []), d]);
    for (const [attempts, group] of byAttempts) {
      const last = attempts + 1 >= maxAttempts;
      await markAttemptFailed(
        this.db,
        group.map((d) => d.id),
        error,
        last ? null : backoffDelay(attempts, retryBaseMs, retryMaxMs),
      );
      this.attempted(group[0].channel, "failed", group.length);
      if (last) this.log.warn("alert deliveries dead-lettered", { channel: group[0].channel, deliveries: group.length, attempts: attempts + 1, error });
    }
  }
}
