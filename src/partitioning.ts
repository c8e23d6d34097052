/** Merchant or customer → partition, and partitions → nodes. Both are pure functions of their inputs. */

/** FNV-1a over UTF-16 code units: stable across processes, Node versions and machines. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * FNV-1a alone leaves node ids that differ in one character ranked alike for
 * most partitions (ms-1 above ms-2 almost everywhere), so a node leaving moved
 * up to 15 of the survivors' partitions; murmur3's finalizer mixes that away.
 */
function rendezvousScore(node: string, partition: number): number {
  let h = hash32(`${node}#${partition}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function partitionOf(merchant: string, partitions: number): number {
  return hash32(merchant) % partitions;
}

/** The two kinds of partition state, each held by the service of that name. */
export type StateService = "merchant-state" | "customer-state";
export const STATE_SERVICES: readonly StateService[] = ["merchant-state", "customer-state"];

/**
 * One numbering for every partition, so that fences, checkpoints and the
 * outbox need no kind column: merchant partitions are 0 … P−1 (by merchant
 * hash), customer partitions P … 2P−1 (by customer hash).
 */
export function customerPartitionOf(customer: string, partitions: number): number {
  return partitions + partitionOf(customer, partitions);
}

export function stateServiceOf(partition: number, partitions: number): StateService {
  return partition < partitions ? "merchant-state" : "customer-state";
}

/** Partitions of one kind spread over the nodes running its service (assignPartitions, by number within the kind). */
export function assignStatePartitions(service: StateService, partitions: number, nodeIds: readonly string[]): Map<number, string> {
  const first = service === "merchant-state" ? 0 : partitions;
  return new Map([...assignPartitions(partitions, nodeIds)].map(([i, node]) => [first + i, node]));
}

/**
 * Spreads partitions over nodes: rendezvous hashing (each partition prefers
 * the nodes in the order of hash(node, partition)) with capacities of
 * floor or ceil of P / nodes, so the split is even and a node joining or leaving moves
 * few partitions besides its own share.
 */
export function assignPartitions(partitions: number, nodeIds: readonly string[]): Map<number, string> {
  const nodes = [...new Set(nodeIds)].sort();
  const assignments = new Map<number, string>();
  if (nodes.length === 0) return assignments;
  // floor(P/n) each, and one more for the first P mod n nodes that fill up.
  const base = Math.floor(partitions / nodes.length);
  let extraLeft = partitions % nodes.length;
  const load = new Map(nodes.map((n) => [n, 0]));
  const canTake = (node: string): boolean => {
    const l = load.get(node)!;
    return l < base || (l === base && extraLeft > 0);
  };
  for (let p = 0; p < partitions; p++) {
    const ranked = nodes.map((node) => ({ node, score: rendezvousScore(node, p) })).sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : 1));
    const chosen = ranked.find((r) => canTake(r.node))!.node;
    const l = load.get(chosen)! + 1;
    if (l > base) extraLeft--;
    load.set(chosen, l);
    assignments.set(p, chosen);
  }
  return assignments;
}
