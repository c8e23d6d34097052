/** One sample line of Prometheus text: metric name, labels, value. */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

export interface ParsedFamily {
  readonly type: string;
  readonly help: string;
  readonly samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): throws, with
 * the line number, on anything malformed — a sample before its TYPE or of another
 * family, a bad name, label or value, a repeated series, a histogram whose buckets
 * are not cumulative or whose +Inf bucket is not its count.
 */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith("\n")) throw new Error("exposition text must end with a newline");
  const families = new Map<string, ParsedFamily>();
  const seen = new Set<string>();
  let current: { name: string; family: ParsedFamily } | undefined;
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const fail = (why: string): never => {
        throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
      };
      if (line === "") return;
      const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (comment) {
        const [, kind, name, rest] = comment;
        if (!NAME.test(name)) fail("bad metric name");
        if (kind === "HELP") {
          if (families.has(name)) fail("HELP after the family began");
          current = { name, family: { type: "untyped", help: rest, samples: [] } };
          families.set(name, current.family);
        } else {
          const helped = current?.name === name && current.family.samples.length === 0 ? current.family : fail("TYPE not right after its HELP");
          if (!TYPES.has(rest)) fail("unknown type");
          current = { name, family: { ...helped, type: rest } };
          families.set(name, current.family);
        }
        return;
      }
      if (line.startsWith("#")) return;
      const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!sample) return fail("not a sample");
      const [, name, labelText, valueText] = sample;
      if (!current) return fail("sample before any TYPE");
      const suffixes = current.family.type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
      if (!suffixes.some((s) => name === current!.name + s)) fail(`sample of another family than ${current.name}`);
      const labels = parseLabels(labelText ?? "", fail);
      if (!/^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/.test(valueText)) fail("bad value");
      const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seen.has(series)) fail("repeated series");
      seen.add(series);
      current.family.samples.push({ name, labels, value: valueText.endsWith("Inf") ? (valueText.startsWith("-") ? -Infinity : Infinity) : Number(valueText) });
    });
  for (const [name, family] of families) if (family.type === "histogram") checkHistogram(name, family);
  return families;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = /([^=,]+)="((?:[^"\\]|\\.)*)"(,|$)/y;
  while (pair.lastIndex < text.length) {
    const m = pair.exec(text);
    if (!m) fail("bad labels");
    const [, name, raw] = m;
    if (!LABEL_NAME.test(name) || name in labels) fail(`bad or repeated label ${name}`);
    if (/\\[^\\"n]/.test(raw)) fail("bad escape in a label value");
    labels[name] = raw.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
  }
  return labels;
}

function checkHistogram(name: string, family: ParsedFamily): void {
  const bySeries = new Map<string, ParsedSample[]>();
  for (const s of family.samples.filter((x) => x.name === `${name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${name}: a bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    bySeries.set(key, [...(bySeries.get(key) ?? []), s]);
  }
  for (const [key, buckets] of bySeries) {
    const values = buckets.map((b) => b.value);
    if (values.some((v, i) => i > 0 && v < values[i - 1])) throw new Error(`${name}${key}: buckets not cumulative`);
    const last = buckets[buckets.length - 1];
    const count = family.samples.find((s) => s.name === `${name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
    if (last.labels.le !== "+Inf" || count?.value !== last.value) throw new Error(`${name}${key}: the +Inf bucket is not last or not the count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, ParsedFamily>, family: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const matching = families.get(family)?.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? [];
  if (matching.length > 1) throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
