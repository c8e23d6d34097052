import type { MetricRegistry, ServiceBroker } from "moleculer";
import { NODE_METRICS, type MetricDefinition } from "../src/metrics/catalogue";
import type { HistogramSample, MetricSample, ValueSample } from "../src/metrics/exposition";

/** Moleculer's metric options: the registry on, its own process metrics and reporters off (the api renders /metrics). */
export const METRICS_OPTIONS: MetricRegistry.MetricRegistryOptions = { enabled: true, collectProcessMetrics: false, reporter: null };

/** Registers the metrics a service counts in this node's registry (once per node: a second service reuses them). */
export function registerMetrics(broker: ServiceBroker, definitions: readonly MetricDefinition[]): void {
  for (const def of definitions) {
    if (broker.metrics.hasMetric(def.name)) continue;
    const { name, type, help, labelNames, buckets } = def;
    const common = { name, description: help, labelNames: [...labelNames], rate: false };
    if (type === "histogram") broker.metrics.register({ ...common, type, buckets: [...(buckets ?? [])], quantiles: false });
    else if (type === "counter") broker.metrics.register({ ...common, type });
    else broker.metrics.register({ ...common, type });
  }
}

/** One metric as `$node.metrics` lists it. */
interface ListedMetric {
  readonly name: string;
  readonly values: ReadonlyArray<{ labels: Record<string, unknown>; value?: number; buckets?: Record<string, number>; count?: number; sum?: number }>;
}

/**
 * The pipeline's metrics from the registry of every available node (`$node.metrics`),
 * each sample labelled with its node. A node that does not answer in time is left out.
 */
export async function gatherNodeMetrics(broker: ServiceBroker): Promise<Map<string, MetricSample[]>> {
  const names = NODE_METRICS.map((m) => m.name);
  const nodes = broker.registry.getNodeList({ onlyAvailable: true, withServices: false }).map((n) => n.id);
  const listed = await Promise.all(
    nodes.map((nodeID) =>
      broker.call<ListedMetric[], { includes: string[] }>("$node.metrics", { includes: names }, { nodeID, timeout: 2000 }).then(
        (metrics) => ({ nodeID, metrics }),
        () => ({ nodeID, metrics: [] as ListedMetric[] }),
      ),
    ),
  );
  const samples = new Map<string, MetricSample[]>(names.map((n) => [n, []]));
  for (const { nodeID, metrics } of listed) {
    for (const metric of metrics) {
      for (const v of metric.values) {
        const labels = { ...labelStrings(v.labels), node: nodeID };
        const sample: ValueSample | HistogramSample = v.buckets
          ? { labels, buckets: v.buckets, count: v.count ?? 0, sum: v.sum ?? 0 }
          : { labels, value: v.value ?? 0 };
        samples.get(metric.name)?.push(sample);
      }
    }
  }
  return samples;
}

function labelStrings(labels: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
}
