import type { DatabaseFigures } from "../storage/metric-figures";
import { ALERT_QUEUE, CHUNK_LAG, REJECTED_PACKETS, SINK_BACKLOG } from "./catalogue";
import type { ValueSample } from "./exposition";

/** PostgreSQL's figures as samples of their metrics, by metric name. */
export function databaseSamples(f: DatabaseFigures): Map<string, ValueSample[]> {
  return new Map<string, ValueSample[]>([
    [CHUNK_LAG.name, [{ labels: {}, value: f.chunkLag }]],
    [
      SINK_BACKLOG.name,
      [
        { labels: { sink: "db-sink" }, value: f.backlog.dbSink },
        { labels: { sink: "s3-sink" }, value: f.backlog.s3Sink },
      ],
    ],
    [ALERT_QUEUE.name, f.alertQueue.map(({ channel, status, n }) => ({ labels: { channel, status }, value: n }))],
    [REJECTED_PACKETS.name, f.rejectedPackets.map(({ node, n }) => ({ labels: { node }, value: n }))],
  ]);
}
