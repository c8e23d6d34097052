import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chunkKey } from "../../src/chunker/chunker";
import { selectRows } from "../../src/storage/sql";
import { tempDir, uniqueName } from "../support/infra";
import { freePort, waitFor } from "../support/pipeline";
import { parsePrometheusText } from "../support/prometheus-text";
import { eventually, startServices, TRANSACTIONS_HEADER, transactionLine, type ServiceTestBed } from "../support/service-broker";

const ROOT = path.join(__dirname, "..", "..");

interface Target {
  readonly datasource: { type: string; uid: string };
  readonly rawSql?: string;
  readonly expr?: string;
}

interface Panel {
  readonly title: string;
  readonly datasource: { type: string; uid: string };
  readonly targets: Target[];
}

const dashboard = JSON.parse(readFileSync(path.join(ROOT, "ops/grafana/dashboards/transaction-monitoring.json"), "utf8")) as { panels: Panel[] };
const datasources = readFileSync(path.join(ROOT, "ops/grafana/provisioning/datasources/datasources.yml"), "utf8");
const uidOf = (type: string) => new RegExp(`uid: (\\S+)\\n\\s+type: ${type}\\n`).exec(datasources)![1];
const targets = (type: string) =>
  dashboard.panels.flatMap((p) => p.targets.filter((t) => t.datasource.uid === uidOf(type)).map((t) => ({ panel: p.title, ...t })));

/** The columns each SQL panel returns; a new SQL panel needs its line here. */
const SQL_COLUMNS: Record<string, string[]> = {
  "Flagged and clean transactions": ["flagged", "clean"],
  "Flagged and clean amounts": ["flagged_amount", "clean_amount"],
  "Rules triggered": ["HIGH-VALUE", "BLACKLISTED", "ANOMALY"],
  "Transactions by category": ["category", "transactions", "amount"],
  "Blacklisted-account transactions": ["time", "transactions", "amount"],
  "Detections per pattern": ["time", "metric", "detections"],
};

const FROM = "now() - interval '1 hour'";
const TO = "now() + interval '1 hour'";

/** Grafana's PostgreSQL macros as the SQL it sends, over the last hour, in one-minute buckets. */
function expandMacros(sql: string): string {
  return sql
    .replace(/\$__timeFilter\(([^)]+)\)/g, `$1 BETWEEN ${FROM} AND ${TO}`)
    .replace(/\$__timeGroupAlias\(([^,]+),[^)]+\)/g, "to_timestamp(floor(extract(epoch FROM $1) / 60) * 60) AS time")
    .replace(/\$__timeGroup\(([^,]+),[^)]+\)/g, "to_timestamp(floor(extract(epoch FROM $1) / 60) * 60)")
    .replace(/\$__timeFrom\(\)/g, FROM)
    .replace(/\$__timeTo\(\)/g, TO);
}

let bed: ServiceTestBed;
let apiPort: number;

beforeAll(async () => {
  apiPort = await freePort();
  bed = await startServices(["detector", "merchant-state", "customer-state", "ingest", "db-sink", "api"], { apiPort, partitions: 4, pollIntervalMs: 60_000 });
  // 80 purchases of C1 at M1 (a CHILD detection) and a few more elsewhere.
  const lines = [...Array.from({ length: 80 }, () => transactionLine("C1", "M1", "10.00")), transactionLine("C2", "M2", "99.50")];
  const key = chunkKey("grafana-test", 0);
  await bed.s3.store.write(key, `${[TRANSACTIONS_HEADER, ...lines].join("\n")}\n`);
  void bed.broker.emit("chunk.landed", { key, rows: lines.length });
  await eventually(
    async () => (await selectRows<{ n: number }>(await bed.rt.db(), `SELECT count(*)::int AS n FROM pattern_detections`))[0].n,
    (n) => n === 1,
  );
});

afterAll(async () => {
  await bed?.stop();
});

describe("the Grafana dashboard", () => {
  it("has a query for every SQL panel named here, and every panel's data source is provisioned", () => {
    expect(targets("grafana-postgresql-datasource").map((t) => t.panel)).toEqual(Object.keys(SQL_COLUMNS));
    const provisioned = [uidOf("grafana-postgresql-datasource"), uidOf("prometheus")];
    for (const panel of dashboard.panels) {
      expect(provisioned).toContain(panel.datasource.uid);
      for (const t of panel.targets) expect(t.datasource.uid).toBe(panel.datasource.uid);
    }
  });

  it("runs every SQL query against the real schema, as the read-only role compose gives Grafana, and gets rows of the expected columns", async () => {
    const ds = await bed.rt.db();
    // The grants of the grafana-db-role service in docker-compose.yml.
    const grant = /GRANT SELECT ON ([\w, ]+) TO grafana;/.exec(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"))![1];
    const role = uniqueName("grafana");
    await ds.query(`CREATE ROLE ${role}`);
    await ds.query(`GRANT SELECT ON ${grant} TO ${role}`);
    try {
      for (const { panel, rawSql } of targets("grafana-postgresql-datasource")) {
        const sql = expandMacros(rawSql!);
        expect(sql).not.toContain("$");
        const rows = await ds.transaction(async (em) => {
          await em.query(`SET LOCAL ROLE ${role}`);
          return selectRows<Record<string, unknown>>(em, sql);
        });
        expect({ panel, rows: rows.length > 0 }).toEqual({ panel, rows: true });
        expect({ panel, columns: Object.keys(rows[0]) }).toEqual({ panel, columns: SQL_COLUMNS[panel] });
      }
    } finally {
      await ds.query(`DROP OWNED BY ${role}`);
      await ds.query(`DROP ROLE ${role}`);
    }
  });

  it("has what the built-in dashboard charts in /api/timeline: this minute's detections per pattern, chunks and rows", async () => {
    const minutes = (await (await fetch(`http://127.0.0.1:${apiPort}/api/timeline?minutes=5`)).json()) as Array<{
      at: string;
      detections: Record<string, number>;
      chunks: number;
      rows: number;
    }>;
    const sum = (f: (m: (typeof minutes)[number]) => number) => minutes.reduce((a, m) => a + f(m), 0);
    expect({ chunks: sum((m) => m.chunks), rows: sum((m) => m.rows), child: sum((m) => m.detections.PatId2 ?? 0) }).toEqual({ chunks: 1, rows: 81, child: 1 });
    for (const m of minutes) expect(new Date(m.at).getUTCSeconds()).toBe(0);
  });

  it("names in its PromQL only metrics that /metrics exposes", async () => {
    const families = parsePrometheusText(await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text());
    const exposed = new Set([...families].flatMap(([name, f]) => (f.type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name])));
    const promql = targets("prometheus");
    expect(promql.length).toBeGreaterThanOrEqual(5);
    for (const { panel, expr } of promql) {
      // What is left once label matchers, ranges, grouping clauses and function calls are taken out is metric names.
      const bare = expr!
        .replace(/\{[^}]*\}/g, "")
        .replace(/\[[^\]]*\]/g, "")
        .replace(/\b(by|without)\s*\([^)]*\)/g, "")
        .replace(/[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, "(");
      const names = bare.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect({ panel, name, exposed: exposed.has(name) }).toEqual({ panel, name, exposed: true });
    }
  });

  it("is fed by a real Prometheus with the compose file's scrape configuration, and every PromQL query evaluates", async () => {
    const binary = process.env.PROMETHEUS_PATH ?? "/usr/bin/prometheus";
    if (!existsSync(binary))
      throw new Error(
        `this test runs a real Prometheus: install it (apt-get install prometheus; npm test does when it runs as root) or set PROMETHEUS_PATH; none at ${binary}`,
      );
    const dir = tempDir();
    const port = await freePort();
    // ops/prometheus/prometheus.yml as compose mounts it, pointed at this api, scraping every second.
    const config = readFileSync(path.join(ROOT, "ops/prometheus/prometheus.yml"), "utf8")
      .replace('"api:3000"', `"127.0.0.1:${apiPort}"`)
      .replace(/credentials_file: \S+/, `credentials_file: ${path.join(dir, "api-key")}`)
      .replace(/scrape_interval: \S+/, "scrape_interval: 1s");
    writeFileSync(path.join(dir, "api-key"), "any-key-the-api-ignores-without-keys");
    writeFileSync(path.join(dir, "prometheus.yml"), config);
    const prometheus: ChildProcess = spawn(
      binary,
      [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`],
      { stdio: "ignore" },
    );
    const query = async (promql: string) =>
      (await (await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`)).json()) as {
        status: string;
        error?: string;
        data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
    try {
      // Two scrapes at least, so that rate() and increase() have their two samples.
      await waitFor("two scrapes of the api", async () => Number((await query("count_over_time(up[1m])")).data.result[0]?.value[1] ?? 0) >= 3, 30_000, 500);
      const targetsState = (await (await fetch(`http://127.0.0.1:${port}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ health: string; lastError: string }> };
      };
      expect(targetsState.data.activeTargets.map((t) => ({ health: t.health, lastError: t.lastError }))).toEqual([{ health: "up", lastError: "" }]);
      for (const { panel, expr } of targets("prometheus")) {
        const answer = await query(expr!.replace(/\$__rate_interval/g, "1m").replace(/\$__interval/g, "15s"));
        expect({ panel, expr, status: answer.status, error: answer.error }).toEqual({ panel, expr, status: "success", error: undefined });
      }
      const rows = await query("sum(tm_rows_applied_total)");
      expect(rows.data.result[0].value[1]).toBe("81");
    } finally {
      prometheus.kill("SIGTERM");
    }
  });
});
