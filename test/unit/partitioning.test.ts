import { assignPartitions, partitionOf } from "../../src/partitioning";

describe("partitioning", () => {
  it("maps a merchant to the same partition every time", () => {
    expect(partitionOf("M348934600", 64)).toBe(partitionOf("M348934600", 64));
    const spread = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(`M${1_000_000 + i}`, 64)));
    expect(spread.size).toBe(64);
  });

  it("shares partitions evenly between nodes", () => {
    const counts = new Map<string, number>();
    for (const node of assignPartitions(64, ["a", "b", "c"]).values()) counts.set(node, (counts.get(node) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([21, 21, 22]);
  });

  it("is the same whatever order the nodes are listed in", () => {
    expect(assignPartitions(64, ["c", "a", "b"])).toEqual(assignPartitions(64, ["a", "b", "c"]));
  });

  const moved = (a: Map<number, string>, b: Map<number, string>) => [...a].filter(([p, node]) => b.get(p) !== node).length;
  const clusters = [
    ["a", "b", "c", "d"],
    ["ms-1", "ms-2", "ms-3", "ms-4"],
    ["bench-ms-1", "bench-ms-2", "bench-ms-3", "bench-ms-4"],
    ["3f2a9c1d", "7b1e4400", "c0ffee12", "deadbeef"],
  ];

  it.each(clusters)("moves at most 4 partitions besides the leaving node's, whichever of %s, %s, %s, %s leaves", (...nodes) => {
    const before = assignPartitions(64, nodes);
    for (const gone of nodes) {
      const after = assignPartitions(
        64,
        nodes.filter((n) => n !== gone),
      );
      const own = [...before.values()].filter((n) => n === gone).length;
      expect(moved(before, after) - own).toBeLessThanOrEqual(4);
    }
  });

  it.each(clusters)("moves at most 4 partitions besides the new node's share when %s joins %s, %s, %s", (...nodes) => {
    const others = nodes.slice(1);
    expect(moved(assignPartitions(64, others), assignPartitions(64, nodes)) - 16).toBeLessThanOrEqual(4);
  });

  it("assigns nothing when there is no node", () => {
    expect(assignPartitions(8, []).size).toBe(0);
  });
});
