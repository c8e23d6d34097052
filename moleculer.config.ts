import type { BrokerOptions } from "moleculer";
import type { DataSource } from "typeorm";
import { LivenessDiscoverer } from "./services/liveness-discoverer";
import type { Config } from "./src/config";

/**
 * Broker options from configuration. With TRANSPORTER set the node joins that
 * NATS cluster; without it the node runs everything itself and listens on a
 * TCP control port so that the REPL can attach. Given the database, a cluster
 * node notices a killed peer within a quarter second (LivenessDiscoverer);
 * heartbeats remain for the failures PostgreSQL cannot see.
 */
export function brokerOptions(config: Config, overrides: Partial<BrokerOptions> = {}, database?: () => Promise<DataSource>): BrokerOptions {
  return {
    nodeID: config.nodeId,
    transporter: transporterFor(config),
    serializer: "JSON",
    requestTimeout: 120_000,
    heartbeatInterval: 1,
    heartbeatTimeout: 3,
    registry: {
      strategy: "RoundRobin",
      preferLocal: true,
      ...(config.transporter && database ? { discoverer: new LivenessDiscoverer(database) } : {}),
    },
    logger: {
      type: "Console",
      options: { level: logLevels(config.logLevel), formatter: process.env.LOG_FORMAT === "json" ? "json" : "short", colors: process.stdout.isTTY, moduleColors: false },
    },
    // bin/start.ts stops the broker, then the runtime and embedded servers, in that order.
    skipProcessEventRegistration: true,
    metrics: false,
    tracing: false,
    ...overrides,
  };
}

function transporterFor(config: Config): BrokerOptions["transporter"] {
  if (config.transporter) return { type: "NATS", options: { url: config.transporter } };
  if (config.controlPort === 0 && config.controlPeers.length === 0) return undefined;
  return { type: "TCP", options: { udpDiscovery: false, port: config.controlPort || undefined, urls: config.controlPeers.join(",") } };
}

/** Moleculer's own modules announce every registration at info; keep them to warnings unless debugging. */
function logLevels(level: Config["logLevel"]): Record<string, string> {
  if (level === "debug") return { "**": "debug" };
  const quiet = level === "info" ? "warn" : level;
  return { BROKER: quiet, REGISTRY: quiet, TRANSIT: quiet, TRANSPORTER: quiet, "$NODE": quiet, DISCOVERY: quiet, API: quiet, "**": level };
}
