import type { Middleware, Service, ServiceBroker } from "moleculer";
import { nodesRunning } from "./cluster";

/**
 * Resolves on the next registry change (`$services.changed`: a service, local
 * or remote, came or went), or after `atMostMs` in case a change went unannounced.
 */
export function registryChange(broker: ServiceBroker, atMostMs: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      broker.localBus.off("$services.changed", done);
      clearTimeout(timer);
      resolve();
    };
    broker.localBus.on("$services.changed", done);
    const timer = setTimeout(done, atMostMs);
  });
}

/**
 * Starts a service as soon as the services it depends on are available.
 * Moleculer's own wait for `dependencies` looks only every `dependencyInterval`
 * (1 s), so a chain such as ingest → merchant-state → detector cost a second a
 * link at every start; this wait runs first, and Moleculer's then passes at
 * once.
 */
export const dependenciesOnNotice: Middleware = {
  name: "DependenciesOnNotice",
  async serviceStarting(service: Service): Promise<void> {
    const names = [service.schema.dependencies ?? []].flat().map((d) => (typeof d === "string" ? d : d.name));
    while (!names.every((name) => nodesRunning(service.broker, name).length > 0)) await registryChange(service.broker, 1000);
  },
};
