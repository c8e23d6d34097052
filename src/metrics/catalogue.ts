/** A metric /metrics exposes: Prometheus name, type, help text and label names. */
export interface MetricDefinition {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram";
  readonly help: string;
  readonly labelNames: readonly string[];
  /** Upper bounds of a histogram's buckets. */
  readonly buckets?: readonly number[];
}

// Counted by the node that does the work (Moleculer's metric registry); the api labels them with `node`.

export const CHUNKS_APPLIED: MetricDefinition = {
  name: "tm_chunks_applied_total",
  type: "counter",
  help: "Chunks ingest applied to every partition and marked applied in the ledger",
  labelNames: [],
};
export const CHUNKS_FAILED: MetricDefinition = {
  name: "tm_chunks_failed_total",
  type: "counter",
  help: "Chunks ingest marked failed (object unreadable)",
  labelNames: [],
};
export const ROWS_APPLIED: MetricDefinition = {
  name: "tm_rows_applied_total",
  type: "counter",
  help: "Valid transaction rows of the chunks applied",
  labelNames: [],
};
export const ROWS_QUARANTINED: MetricDefinition = {
  name: "tm_rows_quarantined_total",
  type: "counter",
  help: "Rows of applied chunks set aside as malformed (written to the quarantine objects)",
  labelNames: [],
};
export const CHUNK_APPLY_SECONDS: MetricDefinition = {
  name: "tm_chunk_apply_seconds",
  type: "histogram",
  help: "Time a state node takes to apply one chunk to its partitions and commit it",
  labelNames: ["service"],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
};
export const PARTITIONS_ASSIGNED: MetricDefinition = {
  name: "tm_partitions_assigned",
  type: "gauge",
  help: "Partitions assigned to the node",
  labelNames: ["service"],
};
export const ALERT_DELIVERIES: MetricDefinition = {
  name: "tm_alert_deliveries_total",
  type: "counter",
  help: "Alert delivery attempts by channel and outcome (delivered, failed)",
  labelNames: ["channel", "outcome"],
};

/** The metrics counted in the nodes' registries. */
export const NODE_METRICS: readonly MetricDefinition[] = [
  CHUNKS_APPLIED,
  CHUNKS_FAILED,
  ROWS_APPLIED,
  ROWS_QUARANTINED,
  CHUNK_APPLY_SECONDS,
  PARTITIONS_ASSIGNED,
  ALERT_DELIVERIES,
];

// Read from PostgreSQL when /metrics is scraped: the same whichever node answers.

export const CHUNK_LAG: MetricDefinition = {
  name: "tm_chunk_lag",
  type: "gauge",
  help: "Chunks in the ledger not yet applied (landed in the bucket, pending)",
  labelNames: [],
};
export const SINK_BACKLOG: MetricDefinition = {
  name: "tm_sink_backlog",
  type: "gauge",
  help: "Committed detections a sink has not taken from the outbox yet",
  labelNames: ["sink"],
};
export const DETECTIONS: MetricDefinition = {
  name: "tm_detections_total",
  type: "counter",
  help: "Detections in pattern_detections by pattern id",
  labelNames: ["pattern"],
};
export const ALERT_QUEUE: MetricDefinition = {
  name: "tm_alert_deliveries_waiting",
  type: "gauge",
  help: "Alert deliveries by channel that are pending or failed (dead letters)",
  labelNames: ["channel", "status"],
};
export const REJECTED_PACKETS: MetricDefinition = {
  name: "tm_rejected_packets_total",
  type: "counter",
  help: "Cluster packets a node dropped for failing authentication",
  labelNames: ["node"],
};

export const DATABASE_METRICS: readonly MetricDefinition[] = [CHUNK_LAG, SINK_BACKLOG, DETECTIONS, ALERT_QUEUE, REJECTED_PACKETS];

export const ALL_METRICS: readonly MetricDefinition[] = [...NODE_METRICS, ...DATABASE_METRICS];
