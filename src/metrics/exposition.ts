import type { MetricDefinition } from "./catalogue";

export type Labels = Readonly<Record<string, string>>;

export interface ValueSample {
  readonly labels: Labels;
  readonly value: number;
}

/** Cumulative bucket counts by upper bound, as Moleculer's histograms keep them. */
export interface HistogramSample {
  readonly labels: Labels;
  readonly buckets: Readonly<Record<string, number>>;
  readonly count: number;
  readonly sum: number;
}

export type MetricSample = ValueSample | HistogramSample;

/**
 * The Prometheus text exposition format (0.0.4): every defined metric with its
 * HELP and TYPE, then its samples; a histogram as _bucket (with +Inf), _sum, _count.
 */
export function renderExposition(definitions: readonly MetricDefinition[], samples: ReadonlyMap<string, readonly MetricSample[]>): string {
  const lines: string[] = [];
  for (const def of definitions) {
    lines.push(`# HELP ${def.name} ${def.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${def.name} ${def.type}`);
    for (const sample of samples.get(def.name) ?? []) {
      if (!("buckets" in sample)) {
        lines.push(`${def.name}${labelText(sample.labels)} ${numberText(sample.value)}`);
        continue;
      }
      const bounds = Object.keys(sample.buckets).sort((a, b) => Number(a) - Number(b));
      for (const le of bounds) lines.push(`${def.name}_bucket${labelText({ ...sample.labels, le })} ${numberText(sample.buckets[le])}`);
      lines.push(`${def.name}_bucket${labelText({ ...sample.labels, le: "+Inf" })} ${numberText(sample.count)}`);
      lines.push(`${def.name}_sum${labelText(sample.labels)} ${numberText(sample.sum)}`);
      lines.push(`${def.name}_count${labelText(sample.labels)} ${numberText(sample.count)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function labelText(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
