import type { Detection } from "../detection";
import { explanationText } from "../patterns/explanation";

/** Problems of the pipeline itself that alert like detections do (table `alert_events`). */
export type PipelineEventKind = "chunk-failed" | "node-lost" | "sink-stuck" | "quarantine-rate";

/** One row of `alert_events`: a problem of the pipeline, once per (kind, subject). */
export interface PipelineEvent {
  readonly id: number;
  readonly kind: PipelineEventKind;
  /** What it is about: the chunk key, the lost node's id and instance, or the stuck sink and its oldest waiting detection. */
  readonly subject: string;
  readonly message: string;
  readonly occurredAt: Date;
}

/** What a delivery carries: a detection, or a pipeline event. */
export type Alert = { readonly type: "detection"; readonly detection: Detection } | { readonly type: "pipeline"; readonly event: PipelineEvent };

/** The webhook's Idempotency-Key: the outbox id of a detection, `event-<id>` for a pipeline event. */
export function idempotencyKey(alert: Alert): string {
  return alert.type === "detection" ? String(alert.detection.id) : `event-${alert.event.id}`;
}

/** The JSON a webhook receives. */
export function alertBody(alert: Alert): string {
  if (alert.type === "pipeline") {
    const { id, kind, subject, message, occurredAt } = alert.event;
    return JSON.stringify({ id: `event-${id}`, type: "pipeline", kind, subject, message, occurredAt: occurredAt.toISOString() });
  }
  const d = alert.detection;
  return JSON.stringify({
    id: d.id,
    patternId: d.patternId,
    actionType: d.actionType,
    customer: d.customer,
    merchant: d.merchant,
    chunk: d.chunk,
    amount: d.amount,
    line: d.line,
    yStartTime: d.yStartTime.toISOString(),
    detectionTime: d.detectionTime.toISOString(),
    explanation: d.explanation,
  });
}

/** One line of an email digest. */
export function alertLine(alert: Alert): string {
  if (alert.type === "pipeline") return `${alert.event.occurredAt.toISOString()} PIPELINE ${alert.event.kind}: ${alert.event.message}`;
  const d = alert.detection;
  const transaction = d.line === null ? "" : ` amount ${d.amount} (line ${d.line} of ${d.chunk})`;
  const why = d.explanation === null ? "" : ` because ${explanationText(d.explanation)}`;
  return `${d.detectionTime.toISOString()} ${d.patternId} ${d.actionType} customer ${d.customer} at merchant ${d.merchant}${transaction}${why} [detection ${d.id}]`;
}
