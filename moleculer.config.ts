import type { BrokerOptions } from "moleculer";
import { tokenAuthenticator, usernamePasswordAuthenticator, type Authenticator } from "nats";
import type { DataSource } from "typeorm";
import { LivenessDiscoverer } from "./services/liveness-discoverer";
import { METRICS_OPTIONS } from "./services/node-metrics";
import { sealedTransport } from "./services/sealed-transport.middleware";
import { dependenciesOnNotice } from "./services/service-availability";
import type { Config } from "./src/config";

/**
 * Broker options from configuration. With TRANSPORTER set the node joins that
 * NATS cluster, every packet sealed with CLUSTER_SECRET; without it the node
 * runs everything itself and opens no transport at all. Given the database, a
 * cluster node notices a killed peer within a quarter second
 * (LivenessDiscoverer) and counts the packets it rejects; heartbeats remain
 * for the failures PostgreSQL cannot see.
 */
export function brokerOptions(config: Config, overrides: Partial<BrokerOptions> = {}, database?: () => Promise<DataSource>): BrokerOptions {
  const { middlewares = [], ...rest } = overrides;
  return {
    nodeID: config.nodeId,
    transporter: transporterFor(config),
    serializer: "JSON",
    // No call waits minutes on a lost packet; callers that must succeed (chunk applies) resend.
    requestTimeout: 30_000,
    heartbeatInterval: 1,
    heartbeatTimeout: 3,
    registry: {
      strategy: "RoundRobin",
      preferLocal: true,
      ...(config.transporter && database ? { discoverer: new LivenessDiscoverer(database) } : {}),
    },
    logger: {
      type: "Console",
      options: {
        level: logLevels(config.logLevel),
        formatter: config.logFormat,
        colors: process.stdout.isTTY,
        moduleColors: false,
      },
    },
    // bin/start.ts stops the broker, then the runtime and embedded servers, in that order.
    skipProcessEventRegistration: true,
    // Sealing comes first: every other middleware sees only authenticated packets.
    middlewares: [...(config.transporter ? [sealedTransport(config.clusterSecrets, database)] : []), dependenciesOnNotice, ...middlewares],
    metrics: METRICS_OPTIONS,
    tracing: false,
    ...rest,
  };
}

function transporterFor(config: Config): BrokerOptions["transporter"] {
  if (!config.transporter) return undefined;
  // A NATS restart is seconds: reconnect forever, quickly, keeping what was published meanwhile.
  return { type: "NATS", options: { ...natsConnection(config.transporter), maxReconnectAttempts: -1, reconnectTimeWait: 250 } };
}

/**
 * nats://user:pass@host:4222 or nats://token@host:4222 (several comma-separated) as nats.js options.
 * The credentials live only inside an authenticator function: Moleculer's own parsing would pass a lone
 * token as a user name (which the server refuses), and would keep the password in the broker options,
 * which the REPL's `info` and the `$node.options` action print.
 */
export function natsConnection(transporter: string): { servers: string[]; authenticator?: Authenticator } {
  const urls = transporter.split(",").map((u) => new URL(u.trim()));
  const servers = urls.map((u) => u.host);
  const withCredentials = urls.find((u) => u.username);
  if (!withCredentials) return { servers };
  const user = decodeURIComponent(withCredentials.username);
  const pass = decodeURIComponent(withCredentials.password);
  return { servers, authenticator: pass ? usernamePasswordAuthenticator(user, pass) : tokenAuthenticator(user) };
}

/** Moleculer's own modules announce every registration at info; keep them to warnings unless debugging. */
function logLevels(level: Config["logLevel"]): Record<string, string> {
  if (level === "debug") return { "**": "debug" };
  const quiet = level === "info" ? "warn" : level;
  return { BROKER: quiet, REGISTRY: quiet, TRANSIT: quiet, TRANSPORTER: quiet, $NODE: quiet, DISCOVERY: quiet, API: quiet, METRICS: quiet, "**": level };
}
