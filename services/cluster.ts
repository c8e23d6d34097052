import type { ServiceBroker } from "moleculer";

/** Node ids of the available nodes that run `service`, sorted. */
export function nodesRunning(broker: ServiceBroker, service: string): string[] {
  const nodes = broker.registry
    .getServiceList({ onlyAvailable: true, skipInternal: true })
    .filter((s) => s.name === service && s.nodeID !== undefined)
    .map((s) => s.nodeID as string);
  return [...new Set(nodes)].sort();
}
