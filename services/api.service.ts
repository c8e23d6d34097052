import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { Errors, type Context, type Service, type ServiceSchema } from "moleculer";
import ApiGateway, { type ApiSettingsSchema } from "moleculer-web";
import { ApiKeyring } from "../src/api/api-keys";
import { acceptsCsvFirst, detectionCsv } from "../src/api/detection-export";
import { encodeCursor, parseDetectionFilters, parseExportFilters, parseStreamFilters } from "../src/api/detection-filters";
import { DetectionStreams } from "../src/api/detection-stream";
import { errorResponse, MAX_BODY_BYTES } from "../src/api/error-response";
import { openApiDocument } from "../src/api/openapi";
import { authorize, checkContentType, checkHost, checkNoNul, checkRouteRequest, RequestRefused } from "../src/api/request-checks";
import { definedRoute, ROUTES, routeKey, type RouteDefinition } from "../src/api/routes";
import { pipelineStats } from "../src/api/stats";
import { ALL_METRICS } from "../src/metrics/catalogue";
import { renderExposition } from "../src/metrics/exposition";
import { ALL_SERVICES } from "../src/config";
import type { Runtime } from "../src/app/runtime";
import { redactUrl } from "../src/redact";
import { describeError } from "../src/retry";
import { failedDeliveries, redeliver } from "../src/storage/alert-deliveries";
import { detectionsAfter, findDetection, findDetections, newestDetectionId } from "../src/storage/detection-query";
import { changeReview, reviewHistory, reviewsOf } from "../src/storage/detection-reviews";
import { databaseFigures } from "../src/storage/metric-figures";
import { timeline } from "../src/storage/timeline";
import { databaseSamples } from "../src/metrics/database-samples";
import type { ReviewChange } from "../src/review";
import { nodesRunning } from "./cluster";
import { gatherNodeMetrics } from "./node-metrics";

// services/ when run from source (tests), dist/services/ when built.
const ROOT = [path.join(__dirname, ".."), path.join(__dirname, "..", "..")].find((dir) => existsSync(path.join(dir, "package.json")))!;
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** A page the api serves as it is, read once when the api is created. */
function pageFrom(file: string): (ctx: Context<unknown, { $responseType?: string }>) => string {
  const html = readFileSync(path.join(ROOT, "services", file), "utf8");
  return (ctx) => {
    ctx.meta.$responseType = "text/html; charset=utf-8";
    return html;
  };
}

const BASIC_CHALLENGE = 'Basic realm="transaction monitoring", charset="UTF-8"';

type AliasHandler = string | ((req: GatewayRequest, res: ServerResponse, done: (err?: unknown) => void) => void);

/** A request as moleculer-web hands it over: parsed query, body, and the merged parameters (query, body, path). */
type GatewayRequest = IncomingMessage & { $params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };

/** What moleculer-web knows of the alias a request matched. */
interface MatchedAlias {
  readonly method: string;
  readonly fullPath: string;
}

/** /api/detections/{id} → /api/detections/:id, as moleculer-web writes paths. */
const gatewayPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

const DEFINITIONS = new Map(ROUTES.map((r) => [`${r.method} ${gatewayPath(r.path)}`, r]));
const DETECTION_LIST = definedRoute("GET", "/api/detections");

function definitionOf(alias: MatchedAlias): RouteDefinition {
  const route = DEFINITIONS.get(`${alias.method} ${alias.fullPath}`);
  if (!route) throw new Error(`no definition of the route ${alias.method} ${alias.fullPath}`);
  return route;
}

/**
 * Checked after authentication, so that a caller without a key learns
 * nothing from a 400: the route's definition (the same as in the OpenAPI
 * document), NUL characters, and JSON bodies only for changes of state.
 */
function checkAgainstDefinition(ctx: Context<unknown, ApiMeta>, req: GatewayRequest, alias: MatchedAlias): void {
  const route = definitionOf(alias);
  // moleculer-web also matches an OPTIONS request to the route its Access-Control-Request-Method names.
  if (req.method !== route.method)
    throw new RequestRefused(405, "METHOD_NOT_ALLOWED", `${req.method ?? "this method"} is not allowed here; use ${route.method}`);
  checkContentType(route.method, req.headers["content-type"]);
  checkNoNul(req.$params);
  const query = req.query ?? {};
  const pathNames = Object.keys(route.pathParameters?.properties ?? {});
  checkRouteRequest(route, {
    query,
    path: Object.fromEntries(pathNames.map((name) => [name, req.$params?.[name]])),
    headers: req.headers,
    body: req.body,
  });
  // The list answers CSV when that is what the client asks for.
  ctx.meta.accept = req.headers.accept;
}

/**
 * The gateway's routes from the definitions (src/api/routes.ts) and a handler
 * for each: health open to all (load balancers probe it), the rest of /api
 * with a key when API_KEYS is set, and the dashboard, whose 401 asks a browser
 * for the key. A definition without a handler, or a handler without one,
 * stops the service from starting.
 */
function gatewayRoutes(handlers: Readonly<Record<string, AliasHandler>>): ApiSettingsSchema["routes"] {
  for (const key of Object.keys(handlers))
    if (!ROUTES.some((r) => routeKey(r) === key)) throw new Error(`a handler for ${key}, which src/api/routes.ts does not define`);
  const aliases = (prefix: string, select: (r: RouteDefinition) => boolean) =>
    Object.fromEntries(
      ROUTES.filter(select).map((r) => {
        const handler = handlers[routeKey(r)];
        if (!handler) throw new Error(`no handler for ${routeKey(r)}`);
        return [`${r.method} ${gatewayPath(r.path).slice(prefix.length) || "/"}`, handler];
      }),
    );
  const common = { mappingPolicy: "restrict" as const, autoAliases: false, authorization: "checkRequest" };
  // Routes on one path need names, or the second replaces the first.
  return [
    { ...common, name: "health", path: "/api", bodyParsers: false, aliases: aliases("/api/", (r) => r.access === "open") },
    {
      ...common,
      name: "api",
      path: "/api",
      authentication: true,
      bodyParsers: { json: { limit: MAX_BODY_BYTES }, urlencoded: false },
      aliases: aliases("/api/", (r) => r.access !== "open" && r.path.startsWith("/api/")),
    },
    // Prometheus scrapes with a read key: `authorization: { credentials: <secret> }` in its scrape config.
    { ...common, name: "metrics", path: "/metrics", authentication: true, bodyParsers: false, aliases: aliases("/metrics", (r) => r.path === "/metrics") },
    { ...common, name: "dashboard", path: "/", authentication: true, bodyParsers: false, aliases: aliases("", (r) => r.path === "/") },
  ];
}

/** Every error as `{ error: { type, message } }`: no stack, no data; a service fault is logged, not shown. */
function sendError(this: Service, req: IncomingMessage, res: ServerResponse, err: Error): void {
  const { status, body, fault } = errorResponse(err);
  if (fault) this.logger.warn("request failed", { method: req.method, path: req.url?.split("?")[0], status, error: describeError(err) });
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

/** What moleculer-web puts in ctx.meta: the key the request was authenticated with (none without API_KEYS), its Accept header. */
interface ApiMeta {
  user?: { name: string; scope: string };
  accept?: string;
}

/** What an action returns besides its value: a CSV download. */
interface DownloadMeta {
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
}

/** Who made a change, for the audit trail: authorize() lets no change through without a key. */
function changer(ctx: Context<unknown, ApiMeta>): string {
  return `api key ${ctx.meta.user!.name}`;
}

/** Every detection the query selects, as a CSV download streamed from the database. */
function csvDownload(rt: Runtime, ctx: Context<Record<string, unknown>, DownloadMeta>): Promise<Readable> {
  const filter = parseExportFilters(ctx.params);
  ctx.meta.$responseType = "text/csv; charset=utf-8";
  ctx.meta.$responseHeaders = { "Content-Disposition": 'attachment; filename="detections.csv"' };
  return rt.db().then((ds) => detectionCsv(ds, filter));
}

/**
 * What a stream's alias handler settles moleculer-web's call with once the
 * stream has ended: the gateway treats any settled call without an action as
 * an error, and its error handler only ends a response whose headers are sent.
 */
const STREAM_ENDED = new Errors.MoleculerClientError("the stream ended", 400, "STREAM_ENDED");

/** REST (explicit aliases only), health and the dashboard; with API_KEYS, every route but health needs a key. */
export function apiService(rt: Runtime): ServiceSchema<ApiSettingsSchema> {
  const keyring = new ApiKeyring(rt.config.apiKeys);
  // The routes are fixed when the service is created, and so is their description.
  const openApi = openApiDocument(ROUTES, VERSION);
  const streams = new DetectionStreams();

  /** GET /api/detections/stream: Server-Sent Events from the Last-Event-ID (or `after`), else from now on. */
  async function streamDetections(req: GatewayRequest, res: ServerResponse, done: (err?: unknown) => void) {
    try {
      const lastEventId = req.headers["last-event-id"];
      const { selection, afterId } = parseStreamFilters(req.$params ?? {}, Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
      const db = await rt.db();
      await streams.serve(res, afterId ?? (await newestDetectionId(db)), (after, limit) => detectionsAfter(db, selection, after, limit));
      done(STREAM_ENDED);
    } catch (err) {
      done(err);
    }
  }
  return {
    name: "api",
    mixins: [ApiGateway],
    settings: {
      port: rt.config.apiPort,
      ip: rt.config.apiHost,
      routes: gatewayRoutes({
        "GET /api/health": "api.health",
        "GET /api/detections": "api.detections",
        "GET /api/detections/stream": (req, res, done) => void streamDetections(req, res, done),
        "GET /api/detections.csv": "api.exportDetections",
        "GET /api/detections/{id}": "api.detection",
        "PATCH /api/detections/{id}": "api.reviewDetection",
        "POST /api/detections/flush": "api.flush",
        "GET /api/stats": "api.stats",
        "GET /api/timeline": "api.timeline",
        "GET /api/merchants/{id}": "merchant-state.merchant",
        "GET /api/customers/{id}": "customer-state.customer",
        "GET /api/partitions": "merchant-state.partitions",
        "GET /api/config": "detector.config",
        "PUT /api/config": "api.changeConfig",
        "GET /api/config/history": "detector.changes",
        "GET /api/blacklist": "detector.blacklist",
        "POST /api/blacklist": "api.addToBlacklist",
        "DELETE /api/blacklist/{id}": "api.removeFromBlacklist",
        "GET /api/alerts/failed": "api.failedAlerts",
        "POST /api/alerts/{id}/redeliver": "api.redeliverAlert",
        "POST /api/backtests": "api.startBacktest",
        "GET /api/backtests": "detector.backtests",
        "GET /api/backtests/{id}": "detector.backtestResult",
        "GET /api/openapi.json": "api.openapi",
        "GET /api/docs": "api.docs",
        "GET /metrics": "api.metrics",
        "GET /": "api.dashboard",
      }),
      onError: sendError,
      log4XXResponses: false,
      logRequest: "debug",
      logResponse: "debug",
    },
    events: {
      "detections.stored": { handler: () => streams.ring() },
    },
    // Before the gateway closes its server, which waits for every open response.
    stopped: () => streams.closeAll(),
    methods: {
      /** moleculer-web's authorization step, on every route (health too), after authenticate. */
      checkRequest(ctx: Context<unknown, ApiMeta>, _route: unknown, req: GatewayRequest, _res: ServerResponse, alias: MatchedAlias) {
        checkHost(keyring.enabled, req.headers.host);
        checkAgainstDefinition(ctx, req, alias);
      },
      /** With API_KEYS set: the key the request carries (Bearer, or Basic from a browser), else 401/403. */
      authenticate(_ctx: Context, _route: unknown, req: IncomingMessage, res: ServerResponse, alias: MatchedAlias) {
        const route = definitionOf(alias);
        try {
          const key = authorize(keyring, req.headers.authorization, route);
          return key && { name: key.name, scope: key.scope };
        } catch (err) {
          // Pages (the dashboard, the API docs) are opened by a browser: a Basic challenge makes it ask for the key.
          if (err instanceof RequestRefused && err.status === 401)
            res.setHeader("WWW-Authenticate", route.produces === "text/html" ? BASIC_CHALLENGE : "Bearer");
          throw err;
        }
      },
    },
    actions: {
      /** Writes the detections waiting for a full S3 file now. */
      flush: {
        handler: (ctx: Context<unknown, ApiMeta>) => ctx.call("s3-sink.flush"),
      },
      changeConfig: {
        handler: (ctx: Context<Record<string, unknown>, ApiMeta>) => ctx.call("detector.change", { change: ctx.params, by: changer(ctx) }),
      },
      addToBlacklist: {
        handler: (ctx: Context<{ entries?: unknown }, ApiMeta>) =>
          ctx.call("detector.addToBlacklist", { change: ctx.params.entries ?? ctx.params, by: changer(ctx) }),
      },
      removeFromBlacklist: {
        handler: (ctx: Context<{ id: string }, ApiMeta>) => ctx.call("detector.removeFromBlacklist", { change: ctx.params.id, by: changer(ctx) }),
      },
      failedAlerts: {
        // The query's limit, checked by the route's definition, arrives as text.
        handler: async (ctx: Context<{ limit?: string }>) => ({ items: await failedDeliveries(await rt.db(), Number(ctx.params.limit || 100)) }),
      },
      redeliverAlert: {
        async handler(ctx: Context<{ id: string }, ApiMeta>) {
          const id = Number(ctx.params.id);
          const outcome = await redeliver(await rt.db(), id);
          if (!outcome) throw new Errors.MoleculerClientError(`alert delivery ${id} does not exist`, 404, "NOT_FOUND");
          if (outcome.before !== "failed") {
            throw new Errors.MoleculerClientError(
              `alert delivery ${id} is ${outcome.before}, not failed: only dead letters are redelivered`,
              400,
              "NOT_FAILED",
            );
          }
          void ctx.broadcast("alerts.requeued", { id });
          return { id, status: "pending", attempts: 0 };
        },
      },
      startBacktest: {
        // The body is checked against its route's definition: a candidate, and `from`, `to` as chunk sequences.
        handler: (ctx: Context<{ candidate: unknown; from?: number; to?: number }, ApiMeta>) =>
          ctx.call("detector.backtest", { candidate: ctx.params.candidate, from: ctx.params.from, to: ctx.params.to, by: changer(ctx) }),
      },
      /** A page of detections, newest first, with their reviews; with `Accept: text/csv`, the export. */
      detections: {
        async handler(ctx: Context<Record<string, unknown>, ApiMeta & DownloadMeta>) {
          // Checked here too for callers other than the gateway (the REPL's `detections`).
          checkRouteRequest(DETECTION_LIST, { query: ctx.params, path: {}, headers: {}, body: undefined });
          if (acceptsCsvFirst(ctx.meta.accept)) return csvDownload(rt, ctx);
          const filters = parseDetectionFilters(ctx.params);
          const ds = await rt.db();
          const { items, more } = await findDetections(ds, filters);
          const reviews = await reviewsOf(
            ds,
            items.map((d) => d.id),
          );
          return {
            items: items.map((d) => ({ ...d, review: reviews.get(d.id) })),
            nextCursor: more ? encodeCursor(items[items.length - 1].id) : null,
          };
        },
      },
      exportDetections: {
        handler: (ctx: Context<Record<string, unknown>, DownloadMeta>) => csvDownload(rt, ctx),
      },
      /** One detection with its review and the review's audit trail. */
      detection: {
        async handler(ctx: Context<{ id: string }>) {
          const id = Number(ctx.params.id);
          const ds = await rt.db();
          const detection = await findDetection(ds, id);
          if (!detection) throw new Errors.MoleculerClientError(`detection ${id} does not exist`, 404, "NOT_FOUND");
          const [reviews, history] = await Promise.all([reviewsOf(ds, [id]), reviewHistory(ds, id)]);
          return { ...detection, review: reviews.get(id), history };
        },
      },
      /** Changes a detection's review (any of status, assignee, notes); returns the detection with its review. */
      reviewDetection: {
        async handler(ctx: Context<{ id: string } & ReviewChange, ApiMeta>) {
          // The body is checked against its route's definition: at least one of status, assignee, notes.
          const { id: idText, ...change } = ctx.params;
          const id = Number(idText);
          const ds = await rt.db();
          const review = await changeReview(ds, id, change, changer(ctx));
          if (!review) throw new Errors.MoleculerClientError(`detection ${id} does not exist`, 404, "NOT_FOUND");
          return { ...(await findDetection(ds, id)), review };
        },
      },
      stats: {
        handler: async () => pipelineStats(await rt.db()),
      },
      timeline: {
        // The query's minutes, checked by the route's definition, arrive as text.
        handler: async (ctx: Context<{ minutes?: string }>) => timeline(await rt.db(), Number(ctx.params.minutes || 60)),
      },
      health: {
        async handler(ctx: Context<unknown, { $statusCode?: number }>) {
          const checks: Record<string, string> = {};
          await Promise.all([
            rt
              .db()
              .then((ds) => ds.query("SELECT 1"))
              .then(
                () => (checks.database = "ok"),
                (e) => (checks.database = describeError(e)),
              ),
            rt.store.checkBucket().then(
              () => (checks.s3 = "ok"),
              (e) => (checks.s3 = describeError(e)),
            ),
          ]);
          const services = Object.fromEntries(ALL_SERVICES.map((s) => [s, nodesRunning(this.broker, s)]));
          // A work loop that keeps failing (unreadable source, bad importance file) degrades health too.
          const failing = await Promise.all(
            ["chunker", "ingest", "alerts"].flatMap((s) =>
              services[s].map((nodeID) =>
                ctx.call<{ failure: string | null }, object>(`${s}.status`, {}, { nodeID, timeout: 2000 }).then(
                  (r) => r.failure,
                  () => null,
                ),
              ),
            ),
          );
          const failures = failing.filter((f): f is string => typeof f === "string");
          if (failures.length > 0) checks.work = failures.join("; ");
          const healthy = checks.database === "ok" && checks.s3 === "ok" && failures.length === 0;
          if (!healthy) ctx.meta.$statusCode = 503;
          // Health is open to all: whatever an error says, no URL credentials go out with it.
          for (const [name, text] of Object.entries(checks)) checks[name] = redactUrl(text);
          return { status: healthy ? "ok" : "degraded", checks, services };
        },
      },
      /** The pipeline's metrics in Prometheus text: counted on every node, and read from PostgreSQL. */
      metrics: {
        async handler(ctx: Context<unknown, { $responseType?: string }>) {
          ctx.meta.$responseType = "text/plain; version=0.0.4; charset=utf-8";
          const [fromNodes, fromDatabase] = await Promise.all([gatherNodeMetrics(this.broker), rt.db().then(databaseFigures).then(databaseSamples)]);
          return renderExposition(ALL_METRICS, new Map([...fromNodes, ...fromDatabase]));
        },
      },
      dashboard: {
        handler: pageFrom("dashboard.html"),
      },
      docs: {
        handler: pageFrom("api-docs.html"),
      },
      openapi: {
        handler: () => openApi,
      },
    },
  };
}
