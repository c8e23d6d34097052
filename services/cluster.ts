import type { ServiceBroker } from "moleculer";
import { assignStatePartitions, STATE_SERVICES } from "../src/partitioning";

/** Node ids of the available nodes that run `service`, sorted. */
export function nodesRunning(broker: ServiceBroker, service: string): string[] {
  const nodes = broker.registry
    .getServiceList({ onlyAvailable: true, skipInternal: true })
    .filter((s) => s.name === service && s.nodeID !== undefined)
    .map((s) => s.nodeID as string);
  return [...new Set(nodes)].sort();
}

/** The node every partition of both kinds is assigned to now, from the live nodes running each state service. */
export function statePartitionAssignments(broker: ServiceBroker, partitions: number): Map<number, string> {
  return new Map(STATE_SERVICES.flatMap((service) => [...assignStatePartitions(service, partitions, nodesRunning(broker, service))]));
}
