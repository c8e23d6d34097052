import { alertLine, type Alert } from "./alert";

export interface EmailMessage {
  readonly subject: string;
  readonly text: string;
}

/** One mail for everything pending on the email channel: up to `listMax` alerts listed, the rest counted. */
export function digestMail(alerts: readonly Alert[], listMax: number): EmailMessage {
  const pipeline = alerts.filter((a) => a.type === "pipeline").length;
  const detections = alerts.length - pipeline;
  const parts = [
    detections > 0 && `${detections} detection${detections === 1 ? "" : "s"}`,
    pipeline > 0 && `${pipeline} pipeline problem${pipeline === 1 ? "" : "s"}`,
  ];
  const subject = alerts.length === 1 ? `[transaction monitoring] ${alertLine(alerts[0])}` : `[transaction monitoring] ${parts.filter(Boolean).join(", ")}`;
  // Pipeline problems first: they are few and matter most.
  const ordered = [...alerts].sort((a, b) => (a.type === b.type ? 0 : a.type === "pipeline" ? -1 : 1));
  const listed = ordered.slice(0, listMax).map(alertLine);
  const rest = alerts.length - listed.length;
  const text = [...listed, ...(rest > 0 ? [`… and ${rest} more (GET /api/detections lists them all)`] : [])].join("\n") + "\n";
  return { subject, text };
}
