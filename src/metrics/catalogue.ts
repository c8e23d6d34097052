/** A metric /metrics exposes: Prometheus name, type, help text and label names. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Upper bounds of a histogram's buckets. */
  readonly buckets?: readonly number[];
}

function metric(name: string, type: MetricDefinition["type"], help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): MetricDefinition {
  return { name, type, help, labelNames, ...(buckets ? { buckets } : {}) };
}

// Counted by the node that does the work (Moleculer's metric registry); the api labels them with `node`.

export const CHUNKS_APPLIED = metric("tm_chunks_applied_total", "counter", "Chunks ingest applied to every partition and marked applied in the ledger");
export const CHUNKS_FAILED = metric("tm_chunks_failed_total", "counter", "Chunks ingest marked failed (object unreadable)");
export const ROWS_APPLIED = metric("tm_rows_applied_total", "counter", "Valid transaction rows of the chunks applied");
export const ROWS_QUARANTINED = metric(
  "tm_rows_quarantined_total",
  "counter",
  "Rows of applied chunks set aside as malformed (written to the quarantine objects)",
);
export const CHUNK_APPLY_SECONDS = metric(
  "tm_chunk_apply_seconds",
  "histogram",
  "Time a state node takes to apply one chunk to its partitions and commit it",
  ["service"],
  [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
);
export const DETECTIONS = metric("tm_detections_total", "counter", "Detections a state node committed, by pattern id", ["service", "pattern"]);
export const PARTITIONS_ASSIGNED = metric("tm_partitions_assigned", "gauge", "Partitions assigned to the node", ["service"]);
export const ALERT_DELIVERIES = metric("tm_alert_deliveries_total", "counter", "Alert delivery attempts by channel and outcome (delivered, failed)", [
  "channel",
  "outcome",
]);

/** The metrics counted in the nodes' registries. */
export const NODE_METRICS: readonly MetricDefinition[] = [
  CHUNKS_APPLIED,
  CHUNKS_FAILED,
  ROWS_APPLIED,
  ROWS_QUARANTINED,
  CHUNK_APPLY_SECONDS,
  DETECTIONS,
  PARTITIONS_ASSIGNED,
  ALERT_DELIVERIES,
];

// Read from PostgreSQL when /metrics is scraped: the same whichever node answers.

export const CHUNK_LAG = metric("tm_chunk_lag", "gauge", "Chunks in the ledger not yet applied (landed in the bucket, pending)");
export const SINK_BACKLOG = metric("tm_sink_backlog", "gauge", "Committed detections a sink has not taken from the outbox yet", ["sink"]);
export const ALERT_QUEUE = metric("tm_alert_deliveries_waiting", "gauge", "Alert deliveries by channel that are pending or failed (dead letters)", [
  "channel",
  "status",
]);
export const REJECTED_PACKETS = metric("tm_rejected_packets_total", "counter", "Cluster packets a node dropped for failing authentication", ["node"]);

const DATABASE_METRICS: readonly MetricDefinition[] = [CHUNK_LAG, SINK_BACKLOG, ALERT_QUEUE, REJECTED_PACKETS];

export const ALL_METRICS: readonly MetricDefinition[] = [...NODE_METRICS, ...DATABASE_METRICS];
