import { readFileSync } from "node:fs";
import path from "node:path";
import { Errors, type Context, type ServiceSchema } from "moleculer";
import ApiGateway, { type ApiSettingsSchema } from "moleculer-web";
import type { Runtime } from "../src/app/runtime";
import { encodeCursor, InvalidQueryError, parseDetectionFilters } from "../src/api/detection-filters";
import { pipelineStats } from "../src/api/stats";
import { describeError } from "../src/retry";
import { findDetections } from "../src/storage/detection-query";
import { nodesRunning } from "./cluster";

const DASHBOARD = path.join(__dirname, "..", "..", "services", "dashboard.html");

/** REST (explicit aliases only), health and the dashboard. */
export function apiService(rt: Runtime): ServiceSchema<ApiSettingsSchema> {
  return {
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port: rt.config.apiPort,
      ip: process.env.API_HOST ?? "0.0.0.0",
      routes: [
        {
          path: "/api",
          mappingPolicy: "restrict",
          autoAliases: false,
          aliases: {
            "GET detections": "api.detections",
            "POST detections/flush": "s3-sink.flush",
            "GET health": "api.health",
            "GET stats": "api.stats",
            "GET merchants/:id": "merchant-state.merchant",
            "GET partitions": "merchant-state.partitions",
          },
        },
        { path: "/", mappingPolicy: "restrict", autoAliases: false, aliases: { "GET /": "api.dashboard" } },
      ],
      log4XXResponses: false,
      logRequest: "debug",
      logResponse: "debug",
    },
    actions: {
      detections: {
        async handler(ctx: Context<Record<string, unknown>>) {
          let filters;
          try {
            filters = parseDetectionFilters(ctx.params);
          } catch (err) {
            if (err instanceof InvalidQueryError) throw new Errors.MoleculerClientError(err.message, 400, "INVALID_QUERY");
            throw err;
          }
          const { items, more } = await findDetections(await rt.db(), filters);
          return {
            items: items.map((d) => ({
              id: d.id, patternId: d.patternid, actionType: d.actiontype, customer: d.customer, merchant: d.merchant,
              chunk: d.chunk, yStartTime: d.ystarttime, detectionTime: d.detectiontime,
            })),
            nextCursor: more ? encodeCursor(items[items.length - 1].id) : null,
          };
        },
      },
      stats: {
        handler: async () => pipelineStats(await rt.db()),
      },
      health: {
        async handler(ctx: Context<unknown, { $statusCode?: number }>) {
          const checks: Record<string, string> = {};
          await Promise.all([
            rt.db().then((ds) => ds.query("SELECT 1")).then(() => (checks.database = "ok"), (e) => (checks.database = describeError(e))),
            rt.store.checkBucket().then(() => (checks.s3 = "ok"), (e) => (checks.s3 = describeError(e))),
          ]);
          const services = Object.fromEntries(
            ["chunker", "ingest", "merchant-state", "detector", "db-sink", "s3-sink", "api"].map((s) => [s, nodesRunning(this.broker, s)]),
          );
          // A work loop that keeps failing (unreadable source, bad importance file) degrades health too.
          const failing = await Promise.all(
            ["chunker", "ingest"].flatMap((s) => services[s].map((nodeID) =>
              ctx.call<{ failure: string | null }, object>(`${s}.status`, {}, { nodeID, timeout: 2000 }).then((r) => r.failure, () => null))),
          );
          const failures = failing.filter((f): f is string => typeof f === "string");
          if (failures.length > 0) checks.work = failures.join("; ");
          const healthy = checks.database === "ok" && checks.s3 === "ok" && failures.length === 0;
          if (!healthy) ctx.meta.$statusCode = 503;
          return { status: healthy ? "ok" : "degraded", checks, services };
        },
      },
      dashboard: {
        handler(ctx: Context<unknown, { $responseType?: string }>) {
          ctx.meta.$responseType = "text/html; charset=utf-8";
          return readFileSync(DASHBOARD, "utf8");
        },
      },
    },
  };
}
